using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Automation.Flows;

public static class FlowsRegistration
{
    /// <summary>The flow engine and its wake-up queue. Automations register their <see cref="IFlowDefinition"/>s themselves.</summary>
    public static IServiceCollection AddFlows(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(s => s.ServiceType == typeof(FlowEngine))) return services;
        services.TryAddSingleton<FlowHooks>();
        services.TryAddSingleton<IFlowTimers, QueueFlowTimers>();
        services.AddSingleton<FlowEngine>();
        return services;
    }

    /// <summary>The operator's view: status and history; the state (which holds personal data) is left out.</summary>
    public static object Describe(FlowInstance flow) => new
    {
        storeId = flow.StoreId,
        flowId = flow.FlowId,
        definition = flow.Definition,
        definitionVersion = flow.DefinitionVersion,
        status = flow.Status,
        step = flow.StepName,
        nextDueAt = flow.NextDueAt,
        startedAt = flow.StartedAt,
        updatedAt = flow.UpdatedAt,
        endedAt = flow.EndedAt,
        endReason = flow.EndReason,
        history = flow.ReadHistory(),
    };
}
