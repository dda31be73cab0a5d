using Automation.LocalHost.Configuration;
using Automation.LocalHost.Queues;
using Automation.LocalHost.Timers;
using Automation.Stores;
using Microsoft.Extensions.Options;

namespace Automation.Tests.LocalHost;

public sealed class TimerScheduleTests
{
    private static readonly DateTimeOffset Monday0900Utc = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    [TestCase("0 */5 * * * *", "2026-11-23T09:05:00Z")]
    [TestCase("0 30 9 * * 1-5", "2026-11-23T09:30:00Z")]
    [TestCase("0 30 9 * Jan Mon", "2027-01-04T09:30:00Z")]
    [TestCase("*/10 * * * * *", "2026-11-23T09:00:10Z")]
    [TestCase("0 8 * * *", "2026-11-24T08:00:00Z")]
    public void SixAndFiveFieldNcrontab_NextOccurrence(string expression, string expected) =>
        Assert.That(TimerSchedule.Parse(expression).Next(Monday0900Utc), Is.EqualTo(DateTimeOffset.Parse(expected)));

    [Test]
    public void ScheduleInStoreTimeZone_FiresAtLocalTimeAcrossDaylightSaving()
    {
        var amsterdam = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam");
        var schedule = TimerSchedule.Parse("0 0 7 * * *", amsterdam);
        // Winter: 07:00 CET = 06:00 UTC; summer: 07:00 CEST = 05:00 UTC.
        Assert.That(schedule.Next(new DateTimeOffset(2026, 1, 10, 0, 0, 0, TimeSpan.Zero)), Is.EqualTo(new DateTimeOffset(2026, 1, 10, 6, 0, 0, TimeSpan.Zero)));
        Assert.That(schedule.Next(new DateTimeOffset(2026, 7, 10, 0, 0, 0, TimeSpan.Zero)), Is.EqualTo(new DateTimeOffset(2026, 7, 10, 5, 0, 0, TimeSpan.Zero)));
    }

    [TestCase("0 0 * *")]
    [TestCase("99 * * * * *")]
    public void InvalidSchedule_FailsWithTheExpressionInTheMessage(string expression) =>
        Assert.That(() => TimerSchedule.Parse(expression), Throws.TypeOf<FormatException>().With.Message.Contain(expression));
}

public sealed class HostJsonTests
{
    [Test]
    public void HostJsonQueueSettings_BindWithEnvironmentOverride()
    {
        var root = Directory.CreateTempSubdirectory().FullName;
        File.WriteAllText(Path.Combine(root, "host.json"), """{ "version": "2.0", "extensions": { "queues": { "batchSize": 8, "maxDequeueCount": 7, "visibilityTimeout": "00:00:30", "maxPollingInterval": "00:00:05", "messageEncoding": "none" } } }""");
        File.WriteAllText(Path.Combine(root, "local.settings.json"), """{ "Values": { "AzureFunctionsJobHost__extensions__queues__batchSize": "4", "Stores__s1__Currency": "EUR" } }""");
        var configuration = new ConfigurationManager();
        configuration.AddFunctionsConventions(root, ["--AzureFunctionsJobHost:extensions:queues:maxDequeueCount=9"]);

        var options = configuration.GetSection(QueuesOptions.Section).Get<QueuesOptions>()!;
        Assert.Multiple(() =>
        {
            Assert.That(options.BatchSize, Is.EqualTo(4), "local.settings.json Values override host.json");
            Assert.That(options.MaxDequeueCount, Is.EqualTo(9), "the command line overrides everything");
            Assert.That(options.VisibilityTimeout, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(options.MaxPollingInterval, Is.EqualTo(TimeSpan.FromSeconds(5)));
            Assert.That(options.MessageEncoding, Is.EqualTo("none"));
            Assert.That(configuration["Stores:s1:Currency"], Is.EqualTo("EUR"), "Values keys use the environment-variable form");
        });
    }

    [Test]
    public void DefaultsAreTheFunctionsDefaults()
    {
        var options = new QueuesOptions();
        Assert.That((options.BatchSize, options.MaxDequeueCount, options.VisibilityTimeout, options.MaxPollingInterval, options.MessageEncoding),
            Is.EqualTo((16, 5, TimeSpan.Zero, TimeSpan.FromMinutes(1), "base64")));
    }

    [Test]
    public async Task LeasePeriodOutsideBlobLeaseRange_IsRefusedAtStart()
    {
        await Assert.ThatAsync(async () =>
        {
            await using var app = await Infrastructure.TestApp.StartAsync(s => s["AzureFunctionsJobHost:singleton:listenerLockPeriod"] = "00:00:05");
        }, Throws.TypeOf<OptionsValidationException>().With.Message.Contain("listenerLockPeriod"));
    }
}

public sealed class StoreRegistryTests
{
    private static StoreOptions Shopify(string domain = "a.myshopify.com") => new() { Platform = Platform.Shopify, ShopDomain = domain, WebhookSecret = "s" };

    [Test]
    public void ValidStores_AreFoundByTheirWebhookSource()
    {
        var registry = new StoreRegistry(new Dictionary<string, StoreOptions>
        {
            ["a"] = Shopify(),
            ["w"] = new() { Platform = Platform.WooCommerce, SiteUrl = "https://Shop.Example.com/", WebhookSecret = "s", TimeZone = "America/New_York", Currency = "usd" },
        });
        Assert.Multiple(() =>
        {
            Assert.That(registry.FindBySource(Platform.Shopify, "A.myshopify.com")?.Id, Is.EqualTo("a"));
            Assert.That(registry.FindBySource(Platform.WooCommerce, "https://shop.example.com")?.Id, Is.EqualTo("w"), "trailing slash and case do not matter");
            Assert.That(registry.FindBySource(Platform.WooCommerce, "a.myshopify.com"), Is.Null, "a store is found only on its own platform");
            Assert.That(registry.Get("w").Currency, Is.EqualTo("USD"));
        });
    }

    [TestCase("WebhookSecret is required")]
    public void MissingSecret_IsAClearStartupError(string message)
    {
        var options = Shopify();
        options.WebhookSecret = null;
        Assert.That(() => new StoreRegistry(new Dictionary<string, StoreOptions> { ["a"] = options }),
            Throws.TypeOf<OptionsValidationException>().With.Message.Contain("Stores:a: " + message));
    }

    [Test]
    public void EveryProblemIsNamedAtOnce()
    {
        var options = new StoreOptions { Platform = Platform.WooCommerce, SiteUrl = "not a url", WebhookSecret = "s", TimeZone = "Mars/Olympus", Currency = "EURO" };
        var error = Assert.Throws<OptionsValidationException>(() => new StoreRegistry(new Dictionary<string, StoreOptions> { ["Bad_Id"] = options }))!;
        Assert.That(error.Failures, Has.Some.Contain("store id").And.Some.Contain("SiteUrl").And.Some.Contain("Mars/Olympus").And.Some.Contain("EURO"));
    }

    [Test]
    public void TwoStoresWithOneDomain_AreRefused() =>
        Assert.That(() => new StoreRegistry(new Dictionary<string, StoreOptions> { ["a"] = Shopify(), ["b"] = Shopify() }),
            Throws.TypeOf<OptionsValidationException>().With.Message.Contain("share the webhook source"));
}

public sealed class SampleSettingsTests
{
    [Test]
    public async Task CopyingTheSampleSettingsAsIs_IsRefusedAtStartNamingEachPlaceholder()
    {
        var root = Directory.CreateTempSubdirectory("automation-sample-").FullName;
        File.Copy(Path.Combine(Infrastructure.LocalServices.RepositoryRoot, "host.json"), Path.Combine(root, "host.json"));
        File.Copy(Path.Combine(Infrastructure.LocalServices.RepositoryRoot, "local.settings.sample.json"), Path.Combine(root, "local.settings.json"));
        await using var app = Automation.LocalHost.LocalFunctionsHost.Build([], new Automation.LocalHost.LocalHostSetup
        {
            ContentRoot = root,
            Configure = b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["AzureWebJobsStorage"] = Infrastructure.Azurite.ConnectionString,
                ["urls"] = $"http://127.0.0.1:{Infrastructure.LocalServices.FreePort()}",
            }),
        });

        var error = (await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync()))!;

        Assert.That(error.Failures, Has.Some.StartsWith("Admin:ApiKey still holds the sample's placeholder")
            .And.Some.StartsWith("Stores:demo-shopify:WebhookSecret still holds")
            .And.Some.StartsWith("Stores:demo-woo:ConsumerSecret still holds"));
    }
}
