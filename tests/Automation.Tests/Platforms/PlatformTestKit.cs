using System.Text;
using Automation.Platforms;
using Automation.Stores;
using Automation.Tests.Infrastructure;

namespace Automation.Tests.Platforms;

/// <summary>
/// The platform clients as the app registers them (<see cref="PlatformRegistration.AddPlatformClients"/>: typed
/// HttpClients behind their resilience pipelines), with settings a test chooses, against a <see cref="FakePlatform"/>.
/// </summary>
internal static class PlatformTestKit
{
    public static ServiceProvider Services(Action<Dictionary<string, string?>>? configure = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Platforms:BaseDelay"] = "00:00:00.020",
            ["Platforms:MaxDelay"] = "00:00:00.200",
            ["Platforms:MaxRetries"] = "3",
            ["Platforms:AttemptTimeout"] = "00:00:05",
            ["Platforms:TotalTimeout"] = "00:00:30",
            ["Platforms:MaxRetryAfter"] = "00:00:05",
        };
        configure?.Invoke(settings);
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .AddSingleton(TimeProvider.System);
        services.AddPlatformClients();
        return services.BuildServiceProvider();
    }

    public static Store ShopifyStore(FakePlatform platform, string id = "s1", string token = "shpat_token") =>
        new(id, Platform.Shopify, $"{id}.myshopify.com", [Encoding.UTF8.GetBytes("x")], new Uri(platform.ShopifyAdminApiBaseUrl), token, null, null, TimeZoneInfo.Utc, "EUR", true);

    public static Store WooStore(FakePlatform platform, string id = "w1", string key = "ck_1") =>
        new(id, Platform.WooCommerce, $"https://{id}.example.test/", [Encoding.UTF8.GetBytes("x")], new Uri(platform.WooCommerceApiBaseUrl), null, key, "cs_1", TimeZoneInfo.Utc, "USD", true);

    /// <summary>Shopify's answer with its cost report, as every GraphQL response carries it.</summary>
    public static object ShopifyData(object data, double requested = 10, double available = 990, double maximum = 1000, double restoreRate = 50) => new
    {
        data,
        extensions = new { cost = new { requestedQueryCost = requested, actualQueryCost = requested, throttleStatus = new { maximumAvailable = maximum, currentlyAvailable = available, restoreRate } } },
    };

    /// <summary>Shopify's THROTTLED answer: HTTP 200, nothing executed, <c>actualQueryCost: null</c>.</summary>
    public static object ShopifyThrottled(double requested, double available, double restoreRate = 50, double maximum = 1000) => new
    {
        errors = new[] { new { message = "Throttled", extensions = new { code = "THROTTLED", documentation = "https://shopify.dev/api/usage/rate-limits" } } },
        extensions = new { cost = new { requestedQueryCost = requested, actualQueryCost = (double?)null, throttleStatus = new { maximumAvailable = maximum, currentlyAvailable = available, restoreRate } } },
    };

    /// <summary>The time between two requests as the fake saw them.</summary>
    public static TimeSpan Gap(FakeRequest first, FakeRequest second) => second.ReceivedAt - first.ReceivedAt;

    /// <summary>Timer and clock granularity: a wait is never shorter than asked by more than this.</summary>
    public static readonly TimeSpan ClockSlack = TimeSpan.FromMilliseconds(30);
}
