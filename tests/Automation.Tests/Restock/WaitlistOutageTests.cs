using System.Net;
using System.Net.Http.Json;
using Automation.Flows;
using Automation.Restock;
using Automation.Tests.Infrastructure;
using Microsoft.DurableTask.Client;
using static Automation.Tests.Inventory.StockTestKit;

namespace Automation.Tests.Restock;

/// <summary>The waitlist run through an SMTP outage in the middle of a batch, on the real Durable engine.</summary>
[NonParallelizable]
public sealed class WaitlistOutageTests
{
    private FakePlatform _fake = null!;
    private FlakySmtpRelay _smtp = null!;
    private TestApp _app = null!;

    [SetUp]
    public async Task SetUp()
    {
        await MailSink.ClearAsync();
        _fake = await StartTaggingPlatformAsync();
        // The server is down for the 3rd and 4th connection: the first attempt at the batch tells two subscribers and
        // fails, the first retry fails too, the second gets through.
        _smtp = new FlakySmtpRelay(refuse: n => n is 3 or 4);
        _app = await TestApp.StartAsync(s =>
        {
            ShopifyStore(s, _fake);
            s["Inventory:DefaultLowStockThreshold"] = "-1";
            s["Stores:s1:Email:SmtpPort"] = _smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            s["Stores:s1:Restock:SendConcurrency"] = "1";
            s["Stores:s1:Restock:BatchInterval"] = "01:00:00";
        });
        await _app.PublishAsync(Product("s1", 100, "Mug", Variant(11, "MUG-BLUE", 0)));
        await SettledAsync("s1", 11, 0);
    }

    [TearDown]
    public async Task TearDown()
    {
        await _app.DisposeAsync();
        await _smtp.DisposeAsync();
        await _fake.DisposeAsync();
    }

    [Test]
    public async Task SmtpDownMidBatch_RetriedBatchTellsTheRestOfTheSameBatch_EachSubscriberOnce()
    {
        var emails = Enumerable.Range(1, 6).Select(i => $"w{i}@shop.test").ToList();
        foreach (var email in emails)
        {
            Assert.That((await _app.Http.PostAsJsonAsync("api/stores/s1/waitlist", new { email, sku = "MUG-BLUE", consent = true })).StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }

        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 4, 1));

        // The run rides out the outage and then waits an hour for its next batch.
        var client = _app.Services.GetRequiredService<DurableTaskClient>();
        FlowProgress? progress = null;
        await Eventually.Until(async () =>
        {
            var run = await client.GetInstanceAsync(WaitlistRun.InstanceIdFor("s1", 11, 1), getInputsAndOutputs: true);
            progress = run?.ReadCustomStatusAs<FlowProgress>();
            return progress?.NextDueAt is not null;
        }, TimeSpan.FromSeconds(60), "the first batch to be done despite the outage");

        var told = (await MailSink.AllAsync()).Where(m => m.Subject.Contains("back in stock", StringComparison.Ordinal)).ToList();
        Assert.That(_smtp.Refused, Is.EqualTo(2), "the outage happened, over two attempts");
        Assert.That(told.Select(m => m.ToAddress), Is.EquivalentTo(emails[..4]), "the batch of 4 (the stock), first come first served, each once: not a fresh batch per retry");
        Assert.That(progress!.State, Is.EqualTo(FlowState.Waiting));
        Assert.That(progress.History.Single().Note, Does.StartWith("told 4 of a batch of 4"));
        Assert.That((await _app.Http.GetFromJsonAsync<System.Text.Json.JsonElement>("api/stores/s1/waitlist/MUG-BLUE")).GetProperty("waiting").GetInt32(), Is.EqualTo(2));
    }
}
