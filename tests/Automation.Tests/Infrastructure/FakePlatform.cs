using System.Collections.Concurrent;
using System.Text.Json;

namespace Automation.Tests.Infrastructure;

public sealed record FakeRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    /// <summary>For GraphQL requests: the <c>variables</c> object.</summary>
    public JsonElement Variables => Json.TryGetProperty("variables", out var v) ? v : default;
    public string GraphQLQuery => Json.TryGetProperty("query", out var q) ? q.GetString() ?? "" : "";

    /// <summary>When the fake received it (its own clock).</summary>
    public DateTimeOffset ReceivedAt { get; init; }
}

public sealed record FakeResponse(int Status, object? Body, IReadOnlyDictionary<string, string>? Headers = null)
{
    public static FakeResponse Json(object body, int status = 200) => new(status, body);

    /// <summary>
    /// How long the fake holds the answer after the handler ran (what the handler did has happened): a platform that
    /// carried out a request and answered too late.
    /// </summary>
    public TimeSpan Delay { get; init; }
}

/// <summary>
/// A stand-in for Shopify's GraphQL Admin API and WooCommerce's REST API: a real HTTP server on a free loopback
/// port, programmed by each test to answer in the documented wire format, recording every request it gets.
/// Unprogrammed requests get 404, so a call nobody expected shows up as a failure.
/// </summary>
public sealed class FakePlatform : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<(string Operation, Func<FakeRequest, FakeResponse> Handler)> _graphql = [];
    private readonly List<(string Method, string Path, Func<FakeRequest, FakeResponse> Handler)> _routes = [];
    private readonly ConcurrentQueue<FakeRequest> _requests = new();

    private FakePlatform(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>Set as a Shopify store's <c>AdminApiBaseUrl</c>.</summary>
    public string ShopifyAdminApiBaseUrl => new Uri(BaseAddress, "admin/api/2025-10").ToString();

    /// <summary>Set as a WooCommerce store's <c>AdminApiBaseUrl</c>.</summary>
    public string WooCommerceApiBaseUrl => new Uri(BaseAddress, "wp-json/wc/v3").ToString();

    public IReadOnlyList<FakeRequest> Requests => [.. _requests];

    public IReadOnlyList<FakeRequest> GraphQLRequests(string operation) =>
        [.. _requests.Where(r => r.Path.EndsWith("/graphql.json", StringComparison.Ordinal) && r.GraphQLQuery.Contains(operation, StringComparison.Ordinal))];

    public static async Task<FakePlatform> StartAsync(int? port = null)
    {
        port ??= LocalServices.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakePlatform(app, new Uri($"http://127.0.0.1:{port}/"));
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        return fake;
    }

    /// <summary>Answers GraphQL requests whose query contains <paramref name="operation"/> (e.g. "discountCodeBasicCreate").</summary>
    public FakePlatform OnGraphQL(string operation, Func<FakeRequest, FakeResponse> handler)
    {
        lock (_graphql) _graphql.Insert(0, (operation, handler));
        return this;
    }

    /// <summary>Answers GraphQL with <c>{"data": …}</c> from <paramref name="data"/>.</summary>
    public FakePlatform OnGraphQLData(string operation, Func<JsonElement, object> data) =>
        OnGraphQL(operation, request => FakeResponse.Json(new { data = data(request.Variables) }));

    /// <summary>Answers REST requests by method and path (exact, or a prefix ending in '*').</summary>
    public FakePlatform On(string method, string path, Func<FakeRequest, FakeResponse> handler)
    {
        lock (_routes) _routes.Insert(0, (method, path, handler));
        return this;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var request = new FakeRequest(
            context.Request.Method,
            context.Request.Path.Value ?? "",
            context.Request.QueryString.Value ?? "",
            context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
            body)
        {
            ReceivedAt = DateTimeOffset.UtcNow,
        };
        _requests.Enqueue(request);

        FakeResponse? response = null;
        if (request.Path.EndsWith("/graphql.json", StringComparison.Ordinal))
        {
            Func<FakeRequest, FakeResponse>? handler;
            lock (_graphql) handler = _graphql.FirstOrDefault(g => request.GraphQLQuery.Contains(g.Operation, StringComparison.Ordinal)).Handler;
            response = handler?.Invoke(request);
        }
        else
        {
            Func<FakeRequest, FakeResponse>? handler;
            lock (_routes)
            {
                handler = _routes.FirstOrDefault(r => r.Method == request.Method
                    && (r.Path == request.Path || (r.Path.EndsWith('*') && request.Path.StartsWith(r.Path[..^1], StringComparison.Ordinal)))).Handler;
            }

            response = handler?.Invoke(request);
        }

        response ??= new FakeResponse(404, new { code = "rest_no_route", message = $"No fake for {request.Method} {request.Path}" });
        if (response.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(response.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        context.Response.StatusCode = response.Status;
        foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        if (response.Body is not null)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(response.Body as string ?? JsonSerializer.Serialize(response.Body));
        }
    }

    /// <summary>For a stand-alone stand-in: returns when the process is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
