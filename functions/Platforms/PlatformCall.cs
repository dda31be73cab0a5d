using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Automation.Platforms;

/// <summary>
/// What the resilience pipeline needs to know about one platform request, carried in its
/// <see cref="HttpRequestMessage.Options"/>: the store (its own circuit breaker and Shopify cost bucket), the operation
/// (for logs and the cost estimate) and whether it is a write, which is never re-sent when its outcome is unknown.
/// </summary>
public sealed partial record PlatformCall(string Platform, string StoreId, string Operation, bool IsMutation)
{
    public static readonly HttpRequestOptionsKey<PlatformCall> Key = new("Automation.PlatformCall");

    public static PlatformCall? Of(HttpRequestMessage? request) =>
        request is not null && request.Options.TryGetValue(Key, out var call) ? call : null;

    /// <summary>A GraphQL document is a write when it holds a <c>mutation</c> operation (anything else is read).</summary>
    public static PlatformCall GraphQL(string platform, string storeId, string query) =>
        new(platform, storeId, query, MutationOperation().IsMatch(query));

    /// <summary>REST: GET and HEAD read; POST, PUT, PATCH and DELETE write.</summary>
    public static PlatformCall Rest(string platform, string storeId, HttpMethod method, string path) =>
        new(platform, storeId, $"{method.Method} {StripQuery(path)}", method != HttpMethod.Get && method != HttpMethod.Head);

    /// <summary>For logs: the operation's first line without variables (GraphQL) or the method and path without the query string (REST).</summary>
    public string Name
    {
        get
        {
            var text = Operation.TrimStart();
            var end = text.IndexOfAny(['(', '{', '\n']);
            var name = (end > 0 ? text[..end] : text).Trim();
            return name.Length == 0 ? "query" : name.Length > 80 ? name[..80] : name;
        }
    }

    private static string StripQuery(string path) => path.Split('?', 2)[0];

    [GeneratedRegex(@"^\s*mutation\b", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex MutationOperation();
}

/// <summary>Sends a marked request through the client's pipeline and turns what went wrong into a <see cref="PlatformException"/>.</summary>
internal static class PlatformHttp
{
    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage request, PlatformCall call, CancellationToken cancellationToken)
    {
        request.Options.Set(PlatformCall.Key, call);
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (BrokenCircuitException ex)
        {
            throw new PlatformException($"{call.Platform} calls for store {call.StoreId} are paused: its circuit is open after repeated failures ({call.Name} not sent).", null, "circuit_open", isTransient: true, ex);
        }
        catch (PlatformThrottledException ex)
        {
            throw new PlatformException($"{call.Platform} throttled {call.Name} for store {call.StoreId}: {ex.Message}", HttpStatusCode.TooManyRequests, "THROTTLED", isTransient: true, ex);
        }
        catch (Exception ex) when (ex is TimeoutRejectedException or TimeoutException or OperationCanceledException)
        {
            throw new PlatformException($"{call.Platform} {call.Name} for store {call.StoreId} timed out{(call.IsMutation ? "; it may have been carried out" : "")}.", HttpStatusCode.RequestTimeout, "timeout", isTransient: true, ex)
            {
                OutcomeUnknown = call.IsMutation,
            };
        }
        catch (HttpRequestException ex)
        {
            var unsent = NeverSent(ex);
            throw new PlatformException($"{call.Platform} {call.Name} for store {call.StoreId} failed: {ex.HttpRequestError}{(call.IsMutation && !unsent ? "; it may have been carried out" : "")}.", null, "network", isTransient: true, ex)
            {
                OutcomeUnknown = call.IsMutation && !unsent,
            };
        }
    }

    /// <summary>
    /// A non-success answer as an error: 429 is transient and certain (the platform refused it unexecuted); 408 and 5xx
    /// are transient, and a write's outcome is unknown; any other 4xx is permanent.
    /// </summary>
    public static PlatformException Failure(PlatformCall call, HttpResponseMessage response, string? errorCode, string? detail)
    {
        var status = response.StatusCode;
        var text = $"{call.Platform} answered HTTP {(int)status}{(errorCode is null ? "" : $" ({errorCode})")} to {call.Name} for store {call.StoreId}{(detail is null ? "" : ": " + detail)}";
        if (status == HttpStatusCode.TooManyRequests)
            return new PlatformException(text + " (rate limited; not carried out).", status, errorCode, isTransient: true);
        if (IsServerSide(status))
            return new PlatformException(text + (call.IsMutation ? " (it may have been carried out)." : "."), status, errorCode, isTransient: true) { OutcomeUnknown = call.IsMutation };
        return new PlatformException(text + ".", status, errorCode, isTransient: false);
    }

    public static bool IsServerSide(HttpStatusCode status) => status == HttpStatusCode.RequestTimeout || (int)status >= 500;

    /// <summary>A failure before the request left this machine (no connection, no name): safe to send again.</summary>
    public static bool NeverSent(HttpRequestException ex) =>
        ex.HttpRequestError is HttpRequestError.NameResolutionError || (ex.HttpRequestError is HttpRequestError.ConnectionError && ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound });
}
