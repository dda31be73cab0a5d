using System.Security.Cryptography;
using System.Text;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Options;

namespace Automation.Runtime;

public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>The operator key: <c>x-functions-key</c> on every function whose level is Function or Admin. Unset: those endpoints are closed.</summary>
    public string? ApiKey { get; set; }

    internal sealed class Validator : IValidateOptions<AdminOptions>
    {
        public ValidateOptionsResult Validate(string? name, AdminOptions options)
        {
            var errors = SecretRules.Check($"{Section}:ApiKey", options.ApiKey).ToList();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}

/// <summary>
/// Operator endpoints are declared <c>AuthorizationLevel.Function</c>. On Azure the host checks its function keys
/// first; this middleware checks <c>Admin:ApiKey</c> in the <c>x-functions-key</c> header as well (in constant time),
/// so the endpoints are closed wherever the app runs — also under <c>func start</c> and the local host, which
/// enforce no keys. Deployments set a host key to the same value (see infra/).
/// </summary>
internal sealed class AdminKeyMiddleware(IOptions<AdminOptions> options, ILogger<AdminKeyMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (!FunctionTriggers.Has(context, "httpTrigger")
            || FunctionTriggers.Attribute<HttpTriggerAttribute>(context)?.AuthLevel is not (AuthorizationLevel.Function or AuthorizationLevel.Admin or AuthorizationLevel.System))
        {
            return next(context);
        }

        var http = context.GetHttpContext();
        if (http is null || IsAuthorized(http.Request.Headers["x-functions-key"].FirstOrDefault())) return next(context);
        return RefuseAsync(context, http);
    }

    private bool IsAuthorized(string? given)
    {
        var expected = options.Value.ApiKey;
        return !string.IsNullOrEmpty(expected) && given is not null
            && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(given)));
    }

    private async Task RefuseAsync(FunctionContext context, HttpContext http)
    {
        logger.LogWarning("Refused {Function}: missing or wrong x-functions-key", context.FunctionDefinition.Name);
        http.Response.StatusCode = StatusCodes.Status401Unauthorized;
        http.Response.ContentType = "text/plain; charset=utf-8";
        await http.Response.WriteAsync("Unauthorized: send the admin key in the x-functions-key header.");
    }
}
