namespace Automation.Flows;

public static class FlowsRegistration
{
    /// <summary>
    /// Flows are Durable Functions orchestrations, found by their <c>[Function]</c> attributes like every other function.
    /// An automation adds an <see cref="IFlowStatusSource"/> for flows it records without an instance (skipped starts).
    /// </summary>
    public static IServiceCollection AddFlows(this IServiceCollection services, IConfiguration configuration) => services;
}
