using System.Net.Sockets;
using Azure;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace Automation.Runtime;

/// <summary>
/// Around every HTTP-triggered function: when storage cannot be reached, the caller gets 503 with Retry-After (so a
/// platform retries its webhook later), never a 500 or a dropped connection. Nothing was stored, so nothing is lost.
/// </summary>
internal sealed class StorageOutageMiddleware(ILogger<StorageOutageMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public Task Invoke(FunctionContext context, FunctionExecutionDelegate next) =>
        FunctionTriggers.Has(context, "httpTrigger") ? InvokeHttpFunctionAsync(context, next) : next(context);

    private async Task InvokeHttpFunctionAsync(FunctionContext context, FunctionExecutionDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (IsStorageUnavailable(ex) && context.GetHttpContext() is { Response.HasStarted: false } http)
        {
            logger.LogWarning("{Function} answered 503: storage is unavailable ({Error})", context.FunctionDefinition.Name, ex.GetType().Name);
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            http.Response.Headers.RetryAfter = "10";
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync("Service unavailable: storage cannot be reached. Nothing was stored; retry later.");
        }
    }

    /// <summary>No answer from storage (connection refused, timeout) or a server-side error after the SDK's own retries.</summary>
    public static bool IsStorageUnavailable(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            switch (ex)
            {
                case RequestFailedException { Status: 0 or >= 500 }:
                case HttpRequestException:
                case SocketException:
                case TimeoutException:
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Any(IsStorageUnavailable):
                    return true;
            }
        }

        return false;
    }
}
