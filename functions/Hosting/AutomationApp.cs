using Automation.AbandonedCart;
using Automation.Admin;
using Automation.Compliance;
using Automation.Effects;
using Automation.Email;
using Automation.Platforms;
using Automation.Returns;
using Automation.Events;
using Automation.Flows;
using Automation.Inventory;
using Automation.LowStock;
using Automation.OutOfStock;
using Automation.Restock;
using Automation.Storage;
using Automation.Stores;
using Automation.Webhooks;
using Microsoft.Extensions.Options;

namespace Automation.Hosting;

/// <summary>Builds the app: the Functions-style host, then each area registers itself with one <c>AddX()</c>.</summary>
public static class AutomationApp
{
    public const string DefaultUrl = "http://127.0.0.1:7071";

    /// <param name="contentRoot">Where host.json and local.settings.json are; by default the nearest folder up from here that has host.json.</param>
    /// <param name="configure">Last word on configuration and services (tests use it to point at their Azurite and fakes).</param>
    public static WebApplication Build(string[] args, string? contentRoot = null, Action<WebApplicationBuilder>? configure = null)
    {
        contentRoot ??= FindContentRoot();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = contentRoot });
        builder.Configuration.AddFunctionsConventions(contentRoot, args);
        configure?.Invoke(builder);

        builder.AddFunctionsHost();
        builder.Services.AddStores(builder.Configuration);
        builder.Services.AddEmail(builder.Configuration);
        builder.Services.AddPlatformClients();
        builder.Services.AddWebhooks(builder.Configuration);
        builder.Services.AddCompliance(builder.Configuration);
        builder.Services.AddReturns(builder.Configuration);
        builder.Services.AddFlows(builder.Configuration);
        builder.Services.AddAbandonedCart(builder.Configuration);
        builder.Services.AddInventory(builder.Configuration);
        builder.Services.AddLowStock(builder.Configuration);
        builder.Services.AddOutOfStock(builder.Configuration);
        builder.Services.AddRestock(builder.Configuration);

        var app = builder.Build();
        app.MapGet("/api/health", () => Results.Ok(new { status = "ok" }));
        WebhookIntake.Map(app);
        AdminEndpoints.Map(app);
        app.MapReturns();
        app.MapFlows();
        app.MapAbandonedCart();
        app.MapLowStock();
        app.MapRestock();
        return app;
    }

    private static void AddFunctionsHost(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        if (string.IsNullOrEmpty(configuration["urls"]) && string.IsNullOrEmpty(configuration["ASPNETCORE_URLS"]))
        {
            var port = configuration["FUNCTIONS_CUSTOMHANDLER_PORT"];
            builder.WebHost.UseUrls(port is null ? DefaultUrl : $"http://127.0.0.1:{port}");
        }

        var services = builder.Services;
        services.AddOptions<QueuesOptions>().Bind(configuration.GetSection(QueuesOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SingletonOptions>().Bind(configuration.GetSection(SingletonOptions.Section)).ValidateOnStart();
        services.AddOptions<HostingOptions>().Bind(configuration.GetSection(HostingOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HostingOptions>>(sp => new ValidateHosting(sp));
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        services.AddSingleton(new HostIdentity(configuration["AzureFunctionsWebHost:hostid"] ?? "automation"));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<QueueWatcher>();
        services.AddSingleton<StorageOperationCounter>();
        services.AddSingleton<StorageClients>();
        services.AddSingleton<EventPublisher>();
        services.AddSingleton<EffectLedger>();
    }

    private static IServiceCollection AddStores(this IServiceCollection services, IConfiguration configuration)
    {
        // Validated here, at start: a misconfigured store stops the app with a message naming the setting.
        services.AddSingleton(StoreRegistry.FromConfiguration(configuration));
        return services;
    }

    private static string FindContentRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "host.json"))) return dir.FullName;
        }

        return AppContext.BaseDirectory;
    }

    private sealed class ValidateHosting(IServiceProvider services) : IValidateOptions<HostingOptions>
    {
        public ValidateOptionsResult Validate(string? name, HostingOptions options)
        {
            try
            {
                HostingOptions.Validate(
                    services.GetRequiredService<IOptions<QueuesOptions>>().Value,
                    services.GetRequiredService<IOptions<SingletonOptions>>().Value,
                    options);
                return ValidateOptionsResult.Success;
            }
            catch (OptionsValidationException ex)
            {
                return ValidateOptionsResult.Fail(ex.Failures);
            }
        }
    }
}
