using Automation.LocalHost.Configuration;
using Automation.LocalHost.Durable;
using Automation.LocalHost.Functions;
using Automation.LocalHost.Http;
using Automation.LocalHost.Queues;
using Automation.LocalHost.Timers;
using Automation.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Automation.LocalHost;

/// <summary>What to host and how; tests add their own probe functions and storage policies here.</summary>
public sealed class LocalHostSetup
{
    /// <summary>Where host.json and local.settings.json are; by default the nearest folder up from here that has host.json.</summary>
    public string? ContentRoot { get; set; }

    /// <summary>The app: registers its services and middleware (by default the Automation app's <c>AddAutomation()</c>).</summary>
    public Action<LocalFunctionsApplicationBuilder> ConfigureApp { get; set; } = builder => builder.AddAutomation();

    /// <summary>The types whose <c>[Function]</c> methods are served (by default every public type of the app).</summary>
    public IEnumerable<Type> FunctionTypes { get; set; } = typeof(AutomationExtensions).Assembly.GetExportedTypes();

    /// <summary>Configuration and services before the app registers its own (tests point the host at their Azurite).</summary>
    public Action<WebApplicationBuilder>? Configure { get; set; }

    /// <summary>Last word on services, after the app's (tests stand fakes in for the app's own).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }
}

/// <summary>
/// Builds the local host: configuration layered as the Functions host does, the app's own services and middleware,
/// then a listener per trigger — HTTP routes, queue listeners, timer listeners and the Durable engine.
/// </summary>
public static class LocalFunctionsHost
{
    public const string DefaultUrl = "http://127.0.0.1:7071";

    public static WebApplication Build(string[] args, LocalHostSetup? setup = null)
    {
        setup ??= new LocalHostSetup();
        var contentRoot = setup.ContentRoot ?? FindContentRoot();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = contentRoot });
        builder.Configuration.AddFunctionsConventions(contentRoot, args);
        setup.Configure?.Invoke(builder);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        var app = new LocalFunctionsApplicationBuilder(builder);
        setup.ConfigureApp(app);
        setup.ConfigureServices?.Invoke(builder.Services);

        var configuration = builder.Configuration;
        var functions = FunctionCatalog.Discover(setup.FunctionTypes)
            .Where(f => !configuration.IsFunctionDisabled(f.Name))
            .ToList();
        AddHostServices(builder, app, functions);

        var web = builder.Build();
        RequestLog.Use(web);
        var routePrefix = configuration[FunctionsConfiguration.JobHostSection + ":extensions:http:routePrefix"] ?? "api";
        HttpTriggers.Map(web, functions, routePrefix);
        return web;
    }

    private static void AddHostServices(WebApplicationBuilder builder, LocalFunctionsApplicationBuilder app, List<FunctionDescriptor> functions)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        // Stops within a few seconds on SIGTERM, also when storage went away first (every storage call made while
        // stopping is bounded by LocalHost:StopStorageTimeout).
        services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
            o.ServicesStopConcurrently = true;
            o.ServicesStartConcurrently = true;
        });
        services.AddOptions<QueuesOptions>().Bind(configuration.GetSection(QueuesOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<QueuesOptions>, QueuesOptions.Validator>();
        services.AddOptions<SingletonOptions>().Bind(configuration.GetSection(SingletonOptions.Section)).ValidateOnStart()
            .Validate(o => o.ListenerLockPeriod >= TimeSpan.FromSeconds(15) && o.ListenerLockPeriod <= TimeSpan.FromSeconds(60), "singleton.listenerLockPeriod must be 15 to 60 seconds (a blob lease's range).");
        services.AddOptions<LocalHostOptions>().Bind(configuration.GetSection(LocalHostOptions.Section)).ValidateOnStart()
            .Validate(o => o.MessageLease >= TimeSpan.FromSeconds(1), "LocalHost:MessageLease must be at least one second.");
        services.AddOptions<DurableHubOptions>().Bind(configuration.GetSection(DurableHubOptions.Section)).ValidateOnStart()
            .Validate(o => !o.Validate().Any(), "extensions.durableTask is not valid (see the log for which setting).");
        services.AddOptions<HostStorageOptions>();
        services.AddSingleton(new HostIdentity(configuration["AzureFunctionsWebHost:hostid"] ?? "automation"));
        services.AddSingleton<HostStorage>();
        services.AddSingleton(app);
        services.AddSingleton<FunctionInvoker>();
        services.AddSingleton<IReadOnlyList<FunctionDescriptor>>(functions);
        services.AddSingleton<QueueWatcher>();
        services.AddSingleton<QueueWriteNotifier>();
        services.TryAddSingleton(TimeProvider.System);
        // The app's own queue writes wake this host's listeners at once, as Functions' SharedQueueWatcher does.
        services.AddOptions<StorageClientsOptions>().Configure<QueueWriteNotifier>((o, notifier) => o.Policies.Add(notifier));

        services.AddSingleton<DurableEngine>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<DurableEngine>());
        services.AddSingleton(sp => sp.GetRequiredService<DurableEngine>().Client);

        foreach (var function in functions.Where(f => f.Trigger == TriggerKind.Queue))
        {
            var queueName = configuration.ResolveSettingReference(function.QueueName!);
            services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<QueueListener>(sp, function, queueName));
        }

        foreach (var function in functions.Where(f => f.Trigger == TriggerKind.Timer))
        {
            TimerSchedule schedule;
            try
            {
                schedule = TimerSchedule.Parse(configuration.ResolveSettingReference(function.Schedule!), TimeZone(configuration));
            }
            catch (FormatException ex)
            {
                throw new OptionsValidationException(function.Name, typeof(TimerSchedule), [$"Timer {function.Name}: {ex.Message}"]);
            }

            services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<TimerListener>(sp, function, schedule));
        }
    }

    /// <summary>Schedules are UTC unless <c>WEBSITE_TIME_ZONE</c> says otherwise (App Service and Premium; not Flex Consumption).</summary>
    private static TimeZoneInfo TimeZone(IConfiguration configuration) =>
        configuration["WEBSITE_TIME_ZONE"] is { Length: > 0 } zone ? TimeZoneInfo.FindSystemTimeZoneById(zone) : TimeZoneInfo.Utc;

    private static string FindContentRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "host.json"))) return dir.FullName;
        }

        return AppContext.BaseDirectory;
    }
}
