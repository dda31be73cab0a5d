using Automation.LocalHost.Functions;

namespace Automation.LocalHost.Http;

/// <summary>
/// Serves HTTP-triggered functions under the route prefix (host.json <c>extensions.http.routePrefix</c>, default
/// <c>api</c>), with the function's route and methods, and executes the <see cref="IResult"/> it returns, as the
/// worker's ASP.NET Core integration does. Authorization levels are not enforced, as with <c>func start</c>: the
/// app checks its own admin key.
/// </summary>
internal static class HttpTriggers
{
    public static void Map(WebApplication app, IEnumerable<FunctionDescriptor> functions, string routePrefix)
    {
        foreach (var function in functions.Where(f => f.Trigger == TriggerKind.Http))
        {
            var template = "/" + string.Join('/', new[] { routePrefix.Trim('/'), (function.Route ?? function.Name).Trim('/') }.Where(s => s.Length > 0));
            RequestDelegate handler = context => InvokeAsync(context, function);
            var endpoint = function.HttpMethods is { Count: > 0 } methods
                ? app.MapMethods(template, methods.Select(m => m.ToUpperInvariant()), handler)
                : app.Map(template, handler);
            endpoint.WithDisplayName(function.Name);
        }
    }

    private static async Task InvokeAsync(HttpContext context, FunctionDescriptor function)
    {
        var invoker = context.RequestServices.GetRequiredService<FunctionInvoker>();
        var bindingData = context.Request.RouteValues.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
        var trigger = new FunctionTrigger(context.Request, bindingData) { Http = context };
        object? result;
        try
        {
            result = await invoker.InvokeAsync(function, trigger, context.RequestAborted);
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            // An unhandled exception is a 500, as the Functions host answers; its details stay in the log.
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Function." + function.Name)
                .LogError("Function {Function} failed: {Error}", function.Name, Automation.Runtime.LogText.Detailed(ex));
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        if (result is IResult http) await http.ExecuteAsync(context);
    }
}
