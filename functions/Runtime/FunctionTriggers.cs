using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Runtime;

/// <summary>
/// What middleware needs to know about the function it wraps. The Functions host hands the worker a definition whose
/// bindings carry only name, type and direction, so a trigger's settings (queue name, authorization level) are read
/// from the function's own attribute, found through its entry point.
/// </summary>
internal static class FunctionTriggers
{
    private static readonly ConcurrentDictionary<string, MethodInfo?> Methods = new(StringComparer.Ordinal);

    public static bool Has(FunctionContext context, string bindingType) =>
        context.FunctionDefinition.InputBindings.Values.Any(b => string.Equals(b.Type, bindingType, StringComparison.OrdinalIgnoreCase));

    /// <summary>The trigger attribute of type <typeparamref name="T"/> on the function's parameters, if it has one.</summary>
    public static T? Attribute<T>(FunctionContext context) where T : Attribute =>
        Method(context)?.GetParameters().Select(p => p.GetCustomAttribute<T>()).FirstOrDefault(a => a is not null);

    /// <summary>The queue a <c>[QueueTrigger]</c> function listens to, or null for any other function.</summary>
    public static string? QueueName(FunctionContext context) =>
        Has(context, "queueTrigger") ? Attribute<QueueTriggerAttribute>(context)?.QueueName : null;

    /// <summary>The queue message's body as the trigger received it.</summary>
    public static string QueueMessageBody(FunctionContext context) =>
        context.BindingContext.BindingData.TryGetValue("QueueTrigger", out var value) ? value?.ToString() ?? "" : "";

    /// <summary>A trigger's metadata value (e.g. <c>DequeueCount</c>), whatever form the host sent it in.</summary>
    public static string? BindingValue(FunctionContext context, string name) =>
        context.BindingContext.BindingData.TryGetValue(name, out var value) ? value?.ToString()?.Trim('"') : null;

    private static MethodInfo? Method(FunctionContext context) => Methods.GetOrAdd(context.FunctionDefinition.EntryPoint, static entryPoint =>
    {
        var dot = entryPoint.LastIndexOf('.');
        if (dot <= 0) return null;
        var typeName = entryPoint[..dot];
        var type = typeof(FunctionTriggers).Assembly.GetType(typeName)
            ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(typeName)).FirstOrDefault(t => t is not null);
        return type?.GetMethod(entryPoint[(dot + 1)..]);
    });
}
