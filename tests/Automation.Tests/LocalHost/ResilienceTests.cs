using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Automation.AbandonedCart;
using Automation.Tests.Infrastructure;
using static Automation.Tests.AbandonedCart.RecoveryScenario;

namespace Automation.Tests.LocalHost;

/// <summary>
/// The local host as its own process, as run.sh starts it: it stops promptly on SIGTERM (also once storage is gone),
/// and a storage outage costs 503s at intake and nothing else — the process stays up and every flow resumes.
/// </summary>
[NonParallelizable]
public sealed class ResilienceTests
{
    private const string AdminKey = "resilience-admin-key-0123456789";
    private const string ShopDomain = "outage-shop.myshopify.com";
    private const string Secret = "outage-secret";

    private static Dictionary<string, string> Settings(FakePlatform? fake = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Admin:ApiKey"] = AdminKey,
            ["Stores:shop:Platform"] = "Shopify",
            ["Stores:shop:ShopDomain"] = ShopDomain,
            ["Stores:shop:WebhookSecret"] = Secret,
            ["Email:SmtpHost"] = "127.0.0.1",
            ["Email:SmtpPort"] = MailSink.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Email:Security"] = "None",
            ["Email:FromAddress"] = "shop@example.test",
            ["AbandonedCart:ReminderDelay"] = "00:00:02",
            ["AbandonedCart:CouponDelay"] = "00:00:02",
            ["AbandonedCart:QuietHoursStart"] = "00:00:00",
            ["AbandonedCart:QuietHoursEnd"] = "00:00:00",
            ["AbandonedCart:UnsubscribeSecret"] = "resilience-unsubscribe-secret",
            ["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.500",
            ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:maxQueuePollingInterval"] = "00:00:01",
            // A message whose handling failed while storage was away could not be handed back: it reappears after this.
            ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:controlQueueVisibilityTimeout"] = "00:00:20",
            ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:workItemQueueVisibilityTimeout"] = "00:00:20",
            ["Effects:Lease"] = "00:00:03",
        };
        if (fake is not null)
        {
            settings["Stores:shop:AdminApiBaseUrl"] = fake.ShopifyAdminApiBaseUrl;
            settings["Stores:shop:AccessToken"] = "shpat_outage";
        }

        return settings;
    }

    private static HttpRequestMessage CheckoutWebhook(string email, string token)
    {
        var checkout = JsonNode.Parse(Deliveries.Fixture("shopify/checkouts.create.json"))!;
        checkout["email"] = email;
        checkout["token"] = token;
        checkout["id"] = Random.Shared.NextInt64(1_000_000, 9_000_000);
        checkout["updated_at"] = DateTimeOffset.UtcNow.ToString("O");
        return Deliveries.Shopify(ShopDomain, "checkouts/create", checkout.ToJsonString(), Secret, eventId: "event-" + token);
    }

    [Test]
    public async Task Sigterm_StopsTheHostWithinFiveSeconds()
    {
        await Azurite.ResetAsync();
        await using var host = await LocalHostProcess.StartAsync(Azurite.ConnectionString, Settings());
        await Eventually.Until(async () => (await host.Http.GetAsync(new Uri("api/health", UriKind.Relative))).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "the host to serve");

        var took = await host.TerminateAsync(TimeSpan.FromSeconds(30));

        TestContext.Progress.WriteLine($"Stopped {took.TotalMilliseconds:F0} ms after SIGTERM");
        Assert.That(took, Is.LessThan(TimeSpan.FromSeconds(5)));
        Assert.That(host.ExitCode, Is.Zero, "a clean stop");
    }

    [Test]
    public async Task SigtermAfterStorageWentAway_StillStopsWithinFiveSeconds()
    {
        using var storage = new AzuriteServer();
        await storage.StartAsync();
        await using var host = await LocalHostProcess.StartAsync(storage.ConnectionString, Settings());
        await Eventually.Until(async () => (await host.Http.GetAsync(new Uri("api/health", UriKind.Relative))).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "the host to serve");
        await storage.StopAsync();
        // The host has noticed: intake refuses what it cannot store.
        await Eventually.Until(async () => (await host.Http.SendAsync(CheckoutWebhook("gone@example.test", "tok-gone"))).StatusCode == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(30), "intake to answer 503");

        var took = await host.TerminateAsync(TimeSpan.FromSeconds(30));

        TestContext.Progress.WriteLine($"Stopped {took.TotalMilliseconds:F0} ms after SIGTERM, storage away");
        Assert.That(took, Is.LessThan(TimeSpan.FromSeconds(5)));
    }

    [Test]
    public async Task StorageAwayForThirtySeconds_IntakeAnswers503_TheProcessStaysUp_AndEveryFlowResumes()
    {
        await MailSink.ClearAsync();
        await using var fake = await FakePlatform.StartAsync();
        fake.ShopifyAnswers();
        using var storage = new AzuriteServer();
        await storage.StartAsync();
        await using var host = await LocalHostProcess.StartAsync(storage.ConnectionString, Settings(fake));
        using var admin = new HttpClient { BaseAddress = host.BaseAddress };
        admin.DefaultRequestHeaders.Add("x-functions-key", AdminKey);
        await Eventually.Until(async () => (await host.Http.GetAsync(new Uri("api/health", UriKind.Relative))).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "the host to serve");

        // Before: a checkout is accepted and its flow starts.
        Assert.That((await host.Http.SendAsync(CheckoutWebhook("before@example.test", "tok-before"))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var flow = RecoveryIds.InstanceId("shop", RecoveryIds.CustomerKey("before@example.test"));
        await Eventually.Until(async () => (await admin.GetAsync(new Uri($"api/flows/shop/{flow}", UriKind.Relative))).IsSuccessStatusCode, TimeSpan.FromSeconds(30), "the first flow to start");

        // The outage: 30 s without storage. Intake answers 503 with Retry-After (nothing stored), never 200 or a dropped
        // connection, and the process keeps serving.
        await storage.StopAsync();
        var outage = Stopwatch.StartNew();
        var refused = 0;
        while (outage.Elapsed < TimeSpan.FromSeconds(30))
        {
            var response = await host.Http.SendAsync(CheckoutWebhook("during@example.test", "tok-during"));
            Assert.That(response.StatusCode, Is.AnyOf(HttpStatusCode.ServiceUnavailable), "intake while storage is away");
            Assert.That(response.Headers.RetryAfter, Is.Not.Null);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable) refused++;
            Assert.That((await host.Http.GetAsync(new Uri("api/health", UriKind.Relative))).StatusCode, Is.EqualTo(HttpStatusCode.OK), "the process is up");
            Assert.That(host.HasExited, Is.False);
            await Task.Delay(TimeSpan.FromSeconds(2)); // pacing the probes through the 30 s outage, not waiting for a result
        }

        // After: storage is back, the platform retries its delivery, and both customers get their emails.
        await storage.StartAsync();
        await Eventually.Until(async () => (await host.Http.SendAsync(CheckoutWebhook("during@example.test", "tok-during"))).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(60), "intake to accept again");
        // Durable backs off for a while after storage errors (DurableTask.Core's dispatcher: 10 s for a few work items).
        var emails = await MailSink.WaitForAsync(m => m.ToAddress is "before@example.test" or "during@example.test", count: 4, timeout: TimeSpan.FromMinutes(3));

        Assert.That(refused, Is.GreaterThan(5));
        Assert.That(emails.Count(m => m.ToAddress == "before@example.test"), Is.EqualTo(2), "the flow that was waiting during the outage resumed: reminder and coupon, once each");
        Assert.That(emails.Count(m => m.ToAddress == "during@example.test"), Is.EqualTo(2), "the delivery refused during the outage was taken when retried");
        Assert.That(host.HasExited, Is.False, "the process never stopped: " + host.Output);
    }
}
