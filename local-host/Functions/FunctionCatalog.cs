using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Automation.LocalHost.Functions;

public enum TriggerKind { Http, Queue, Timer, Orchestration, Activity }

/// <summary>How one parameter of a function gets its value; mirrors what the worker binds.</summary>
public enum ParameterSource
{
    /// <summary>The trigger's own value: the request, the queue message, the timer, the orchestration context, the activity input.</summary>
    Trigger,
    FunctionContext,
    CancellationToken,
    /// <summary><c>[DurableClient] DurableTaskClient</c>.</summary>
    DurableClient,
    /// <summary>An HTTP route value with the parameter's name.</summary>
    RouteValue,
    /// <summary>An orchestrator's unbound parameter: the orchestration input.</summary>
    OrchestrationInput,
}

public sealed record FunctionParameterBinding(ParameterInfo Parameter, ParameterSource Source);

/// <summary>
/// One <c>[Function]</c> as the local host found it: what triggers it and with what settings, the same facts the
/// Worker SDK writes to <c>functions.metadata</c> (a test holds the two together).
/// </summary>
public sealed record FunctionDescriptor(string Name, MethodInfo Method, TriggerKind Trigger, IReadOnlyList<FunctionParameterBinding> Parameters)
{
    public string? Route { get; init; }
    public IReadOnlyList<string>? HttpMethods { get; init; }
    public AuthorizationLevel AuthLevel { get; init; }
    public string? QueueName { get; init; }
    public string? Connection { get; init; }
    public string? Schedule { get; init; }
    public bool RunOnStartup { get; init; }
    public bool? UseMonitor { get; init; }

    /// <summary>The type of an orchestrator's input or an activity's input, when the function declares one.</summary>
    public Type? InputType { get; init; }
    public bool HasDurableClient => Parameters.Any(p => p.Source == ParameterSource.DurableClient);

    /// <summary>Functions' entry point: <c>Namespace.Type.Method</c>.</summary>
    public string EntryPoint => $"{Method.DeclaringType!.FullName}.{Method.Name}";
}

/// <summary>
/// Finds the <c>[Function]</c> methods of the app and checks that each uses only bindings the local host serves
/// exactly like Azure; anything else stops the host at start, naming the function, rather than behaving differently.
/// </summary>
public static class FunctionCatalog
{
    public static IReadOnlyList<FunctionDescriptor> Discover(IEnumerable<Type> types)
    {
        var functions = new List<FunctionDescriptor>();
        var errors = new List<string>();
        foreach (var type in types)
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (method.GetCustomAttribute<FunctionAttribute>() is not { } function) continue;
                try
                {
                    functions.Add(Describe(function.Name, method));
                }
                catch (NotSupportedException ex)
                {
                    errors.Add($"{function.Name} ({type.FullName}.{method.Name}): {ex.Message}");
                }
            }
        }

        foreach (var duplicate in functions.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            errors.Add($"Function name '{duplicate.Key}' is used by {duplicate.Count()} methods; Functions needs unique names.");
        }

        if (errors.Count > 0)
        {
            throw new InvalidOperationException("The local host cannot serve these functions as Azure would:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
        }

        return functions;
    }

    public static IReadOnlyList<FunctionDescriptor> Discover(Assembly assembly) => Discover(assembly.GetExportedTypes());

    private static FunctionDescriptor Describe(string name, MethodInfo method)
    {
        if (method.DeclaringType is { IsAbstract: true, IsSealed: false }) throw new NotSupportedException("the declaring type is abstract.");
        if (method.ReturnParameter.GetCustomAttributes().Any(a => a.GetType().Name.EndsWith("OutputAttribute", StringComparison.Ordinal)))
            throw new NotSupportedException("output bindings are not served locally; write through the storage clients instead.");

        TriggerKind? trigger = null;
        var result = new FunctionDescriptor(name, method, default, []);
        var parameters = new List<FunctionParameterBinding>();
        foreach (var parameter in method.GetParameters())
        {
            var attributes = parameter.GetCustomAttributes().ToList();
            var source = (ParameterSource?)null;
            foreach (var attribute in attributes)
            {
                switch (attribute)
                {
                    case HttpTriggerAttribute http:
                        Expect(parameter, typeof(HttpRequest));
                        result = result with { Route = http.Route, HttpMethods = http.Methods, AuthLevel = http.AuthLevel };
                        (trigger, source) = (Set(trigger, TriggerKind.Http), ParameterSource.Trigger);
                        break;
                    case QueueTriggerAttribute queue:
                        if (parameter.ParameterType != typeof(Azure.Storage.Queues.Models.QueueMessage) && parameter.ParameterType != typeof(string) && parameter.ParameterType != typeof(BinaryData))
                            throw new NotSupportedException($"[QueueTrigger] parameter '{parameter.Name}' is a {parameter.ParameterType.Name}; bind QueueMessage, string or BinaryData.");
                        result = result with { QueueName = queue.QueueName, Connection = queue.Connection };
                        (trigger, source) = (Set(trigger, TriggerKind.Queue), ParameterSource.Trigger);
                        break;
                    case TimerTriggerAttribute timer:
                        Expect(parameter, typeof(TimerInfo));
                        result = result with { Schedule = timer.Schedule, RunOnStartup = timer.RunOnStartup, UseMonitor = timer.UseMonitor };
                        (trigger, source) = (Set(trigger, TriggerKind.Timer), ParameterSource.Trigger);
                        break;
                    case OrchestrationTriggerAttribute:
                        Expect(parameter, typeof(TaskOrchestrationContext));
                        (trigger, source) = (Set(trigger, TriggerKind.Orchestration), ParameterSource.Trigger);
                        break;
                    case ActivityTriggerAttribute:
                        result = result with { InputType = parameter.ParameterType };
                        (trigger, source) = (Set(trigger, TriggerKind.Activity), ParameterSource.Trigger);
                        break;
                    case DurableClientAttribute:
                        Expect(parameter, typeof(DurableTaskClient));
                        source = ParameterSource.DurableClient;
                        break;
                    case BindingAttribute other:
                        throw new NotSupportedException($"binding {other.GetType().Name} on '{parameter.Name}' is not served locally.");
                }
            }

            source ??= parameter.ParameterType == typeof(FunctionContext) ? ParameterSource.FunctionContext
                : parameter.ParameterType == typeof(CancellationToken) ? ParameterSource.CancellationToken
                : null;
            if (source is null)
            {
                // Resolved once the trigger is known: a route value (HTTP) or the orchestration's input.
                parameters.Add(new FunctionParameterBinding(parameter, (ParameterSource)(-1)));
                continue;
            }

            parameters.Add(new FunctionParameterBinding(parameter, source.Value));
        }

        if (trigger is null) throw new NotSupportedException("it has no trigger the local host serves (HTTP, queue, timer, orchestration, activity).");
        for (var i = 0; i < parameters.Count; i++)
        {
            if ((int)parameters[i].Source != -1) continue;
            var parameter = parameters[i].Parameter;
            var resolved = trigger switch
            {
                TriggerKind.Http when IsRouteValueType(parameter.ParameterType) && (result.Route ?? "").Contains('{' + parameter.Name, StringComparison.OrdinalIgnoreCase) => ParameterSource.RouteValue,
                TriggerKind.Orchestration when result.InputType is null => ParameterSource.OrchestrationInput,
                _ => throw new NotSupportedException($"parameter '{parameter.Name}' ({parameter.ParameterType.Name}) has no binding the local host serves."),
            };
            if (resolved == ParameterSource.OrchestrationInput) result = result with { InputType = parameter.ParameterType };
            parameters[i] = parameters[i] with { Source = resolved };
        }

        if (trigger == TriggerKind.Http && !ReturnsHttpResult(method.ReturnType))
            throw new NotSupportedException($"an HTTP function must return IResult or Task<IResult>, not {method.ReturnType.Name}.");
        if (trigger is TriggerKind.Queue or TriggerKind.Timer && method.ReturnType != typeof(void) && method.ReturnType != typeof(Task))
            throw new NotSupportedException($"a {trigger} function returns Task or void (its return value would be an output binding).");

        return result with { Trigger = trigger.Value, Parameters = parameters };
    }

    private static TriggerKind Set(TriggerKind? current, TriggerKind next) =>
        current is null ? next : throw new NotSupportedException("it has more than one trigger.");

    private static void Expect(ParameterInfo parameter, Type type)
    {
        if (parameter.ParameterType != type) throw new NotSupportedException($"parameter '{parameter.Name}' must be a {type.Name}, not a {parameter.ParameterType.Name}.");
    }

    private static bool IsRouteValueType(Type type) =>
        type == typeof(string) || type == typeof(long) || type == typeof(int) || type == typeof(Guid) || Nullable.GetUnderlyingType(type) is { } inner && IsRouteValueType(inner);

    private static bool ReturnsHttpResult(Type type) =>
        typeof(IResult).IsAssignableFrom(type)
        || type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Task<>) || type.GetGenericTypeDefinition() == typeof(ValueTask<>)) && typeof(IResult).IsAssignableFrom(type.GetGenericArguments()[0]);
}
