using System.Text.Json;
using Automation.Events;
using Automation.LocalHost;
using Automation.Runtime;
using Azure.Storage.Queues.Models;

namespace Automation.Tests.Infrastructure;

/// <summary>
/// The real app's functions, served by the local host in-process on a free loopback port with real HTTP, queue and
/// timer triggers and the Durable engine, against the run's Azurite and mail sink. Storage is emptied before each
/// start, so a test sees only what it caused.
/// </summary>
public sealed class TestApp : IAsyncDisposable
{
    public const string AdminKey = "test-admin-key";

    private readonly WebApplication _app;

    private TestApp(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress };
        Admin = new HttpClient { BaseAddress = baseAddress };
        Admin.DefaultRequestHeaders.Add("x-functions-key", AdminKey);
    }

    public Uri BaseAddress { get; }
    public HttpClient Http { get; }

    /// <summary>An HTTP client that sends the admin key.</summary>
    public HttpClient Admin { get; }
    public IServiceProvider Services => _app.Services;

    /// <summary>The HTTP endpoints the host serves: route pattern and methods.</summary>
    public IReadOnlyList<(string Pattern, IReadOnlyList<string> Methods)> Endpoints =>
        [.. ((IEndpointRouteBuilder)_app).DataSources.SelectMany(d => d.Endpoints).OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Select(e => (e.RoutePattern.RawText ?? "", (IReadOnlyList<string>)(e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? [])))];

    /// <summary>Starts the app. <paramref name="keepStorage"/> keeps what an earlier app left (to test restarts and several instances).</summary>
    /// <param name="functions">Extra function classes (test probes) served beside the app's.</param>
    public static async Task<TestApp> StartAsync(Action<Dictionary<string, string?>>? configure = null, Action<IServiceCollection>? services = null, bool keepStorage = false, IEnumerable<Type>? functions = null)
    {
        if (!keepStorage) await Azurite.ResetAsync();
        var port = LocalServices.FreePort();
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = Azurite.ConnectionString,
            ["urls"] = $"http://127.0.0.1:{port}",
            ["Admin:ApiKey"] = AdminKey,
            ["AzureFunctionsWebHost:hostid"] = "tests",
            ["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.200",
            ["AzureFunctionsJobHost:extensions:queues:visibilityTimeout"] = "00:00:00",
            ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:maxQueuePollingInterval"] = "00:00:01",
            ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:controlQueueVisibilityTimeout"] = "00:00:20",
            ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:workItemQueueVisibilityTimeout"] = "00:00:10",
            ["Email:SmtpHost"] = "127.0.0.1",
            ["Email:SmtpPort"] = MailSink.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Email:Security"] = "None",
            ["Email:FromAddress"] = "shop@example.test",
            // Platform calls (functions/Platforms): short back-off, and a store's open circuit closes again within seconds.
            ["Platforms:BaseDelay"] = "00:00:00.050",
            ["Platforms:CircuitBreaker:BreakDuration"] = "00:00:02",
            // A killed test instance's effects resume after this long (production: a minute).
            ["Effects:Lease"] = "00:00:03",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Error",
        };
        configure?.Invoke(settings);

        var contentRoot = Directory.CreateTempSubdirectory("automation-test-").FullName;
        File.Copy(Path.Combine(LocalServices.RepositoryRoot, "host.json"), Path.Combine(contentRoot, "host.json"));
        var setup = new LocalHostSetup
        {
            ContentRoot = contentRoot,
            Configure = builder => builder.Configuration.AddInMemoryCollection(settings),
            ConfigureServices = services,
        };
        if (functions is not null) setup.FunctionTypes = [.. setup.FunctionTypes, .. functions];
        var app = LocalFunctionsHost.Build([], setup);
        await app.StartAsync();
        return new TestApp(app, new Uri($"http://127.0.0.1:{port}/"));
    }

    /// <summary>The events waiting on an automation queue (peeked, not consumed).</summary>
    public static async Task<IReadOnlyList<StoreEvent>> PeekEventsAsync(string queue)
    {
        var client = Azurite.Queue(queue);
        if (!(await client.ExistsAsync()).Value) return [];
        PeekedMessage[] messages = await client.PeekMessagesAsync(32);
        return [.. messages.Select(m => m.Body.ToObjectFromJson<StoreEvent>(Json.Options)!)];
    }

    public static async Task<int> CountMessagesAsync(string queue)
    {
        var client = Azurite.Queue(queue);
        if (!(await client.ExistsAsync()).Value) return 0;
        return (await client.GetPropertiesAsync()).Value.ApproximateMessagesCount;
    }

    public static async Task<IReadOnlyList<PoisonMessage>> PeekPoisonAsync(string queue)
    {
        var client = Azurite.Queue(queue + "-poison");
        if (!(await client.ExistsAsync()).Value) return [];
        PeekedMessage[] messages = await client.PeekMessagesAsync(32);
        return [.. messages.Select(m => JsonSerializer.Deserialize<PoisonMessage>(m.Body.ToString(), Json.Options)!)];
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Admin.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
