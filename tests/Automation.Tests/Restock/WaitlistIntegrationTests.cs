using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Automation.Effects;
using Automation.Events;
using Automation.Flows;
using Automation.Inventory;
using Automation.Restock;
using Automation.Restock.Activities;
using Automation.Tests.Infrastructure;
using Automation.Stores;
using Azure.Data.Tables;
using DurableTask.Core.Exceptions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Moq;
using static Automation.Tests.Inventory.StockTestKit;

namespace Automation.Tests.Restock;

[NonParallelizable]
public sealed class WaitlistIntegrationTests
{
    private FakePlatform _fake = null!;
    private TestApp _app = null!;

    [SetUp]
    public async Task SetUp()
    {
        await MailSink.ClearAsync();
        _fake = await StartTaggingPlatformAsync();
        _app = await TestApp.StartAsync(s =>
        {
            ShopifyStore(s, _fake);
            s["Inventory:DefaultLowStockThreshold"] = "-1";
            // Durable timers shorter than ~2 s fire up to a second early; 5 s keeps the sell-out ahead of the next batch.
            s["Stores:s1:Restock:BatchInterval"] = "00:00:05";
            s["Stores:s1:Restock:SubscribersPerUnit"] = "1";
            s["Stores:s1:Restock:SignupsPerEmailPerHour"] = "3";
            s["Stores:s1:Restock:PublicBaseUrl"] = "https://automation.example.test";
        });
        await _app.PublishAsync(Product("s1", 100, "Mug", Variant(11, "MUG-BLUE", 0)));
        await SettledAsync("s1", 11, 0);
    }

    [TearDown]
    public async Task TearDown()
    {
        await _app.DisposeAsync();
        await _fake.DisposeAsync();
    }

    private Task<HttpResponseMessage> SignupAsync(object body) => _app.Http.PostAsJsonAsync("api/stores/s1/waitlist", body);

    private static async Task<int> RowsAsync()
    {
        var rows = 0;
        try
        {
            await foreach (var _ in Azurite.Table(Waitlist.Table).QueryAsync<TableEntity>()) rows++;
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
        }

        return rows;
    }

    /// <summary>Waits for the waitlist run of restock <paramref name="episode"/> to end; returns what its flow status says.</summary>
    private async Task<FlowProgress> RunEndedAsync(int episode)
    {
        var client = _app.Services.GetRequiredService<DurableTaskClient>();
        OrchestrationMetadata? run = null;
        await Eventually.Until(async () => (run = await client.GetInstanceAsync(WaitlistRun.InstanceIdFor("s1", 11, episode), getInputsAndOutputs: true)) is { IsCompleted: true },
            TimeSpan.FromSeconds(40), $"the waitlist run of restock {episode} to end");
        Assert.That(run!.RuntimeStatus, Is.EqualTo(OrchestrationRuntimeStatus.Completed));
        return run.ReadCustomStatusAs<FlowProgress>()!;
    }

    private async Task<int> SizeAsync() =>
        (await _app.Http.GetFromJsonAsync<JsonElement>("api/stores/s1/waitlist/MUG-BLUE")).GetProperty("waiting").GetInt32();

    [TestCase("{\"sku\":\"MUG-BLUE\",\"consent\":true}", "Email is required", TestName = "Signup_NoEmail_400")]
    [TestCase("{\"email\":\"not-an-email\",\"sku\":\"MUG-BLUE\",\"consent\":true}", "not a valid email", TestName = "Signup_BadEmail_400")]
    [TestCase("{\"email\":\"a@shop.test\",\"sku\":\"MUG-BLUE\"}", "Consent is required", TestName = "Signup_NoConsent_400")]
    [TestCase("{\"email\":\"a@shop.test\",\"consent\":true}", "sku or variantId", TestName = "Signup_NoProduct_400")]
    [TestCase("{\"email\":\"a@shop.test\",\"sku\":\"NOPE\",\"consent\":true}", "Unknown SKU", TestName = "Signup_UnknownSku_400")]
    [TestCase("{\"email\":", "must be JSON", TestName = "Signup_BrokenJson_400")]
    public async Task BadSignup_400WithClearMessageAndNothingStored(string body, string message)
    {
        var response = await _app.Http.PostAsync("api/stores/s1/waitlist", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain(message));
        Assert.That(await RowsAsync(), Is.Zero);
    }

    [Test]
    public async Task DuplicateSignup_OneSubscription()
    {
        var first = await SignupAsync(new { email = "a@shop.test", sku = "MUG-BLUE", consent = true });
        var second = await SignupAsync(new { email = "A@Shop.test ", sku = "MUG-BLUE", consent = true });

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await second.Content.ReadAsStringAsync(), Does.Contain("already-subscribed"));
        Assert.That(await SizeAsync(), Is.EqualTo(1));
        var entry = await Azurite.Table(Waitlist.Table).QueryAsync<TableEntity>(e => e.RowKey.CompareTo("q|") >= 0 && e.RowKey.CompareTo("q}") < 0).SingleAsync();
        Assert.That(entry.GetDateTimeOffset("ConsentAt"), Is.Not.Null, "consent recorded");
        Assert.That(entry.GetString("ConsentText"), Is.Not.Empty);
    }

    [Test]
    public async Task SignupsOverEmailLimit_429()
    {
        for (var i = 0; i < 3; i++) await SignupAsync(new { email = "a@shop.test", sku = "MUG-BLUE", consent = true });

        var limited = await SignupAsync(new { email = "a@shop.test", sku = "MUG-BLUE", consent = true });

        Assert.That(limited.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(limited.Headers.RetryAfter, Is.Not.Null);
    }

    [Test]
    public async Task Restock_NotifiesFifoInBatchesSizedToStock_StopsWhenSoldOut_ResumesOnNextRestock()
    {
        var emails = Enumerable.Range(1, 5).Select(i => $"w{i}@shop.test").ToList();
        foreach (var email in emails) Assert.That((await SignupAsync(new { email, sku = "MUG-BLUE", consent = true })).StatusCode, Is.EqualTo(HttpStatusCode.Created));

        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 2, 1));
        var firstBatch = await MailSink.WaitForAsync(m => m.Subject.Contains("back in stock", StringComparison.Ordinal), count: 2);
        Assert.That(firstBatch.Select(m => m.ToAddress), Is.EquivalentTo(emails[..2]), "first come, first served, as many as the 2 units");

        // Sold out again before the next batch: the re-check stops the run.
        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 0, 2));
        await SettledAsync("s1", 11, 0);
        var first = await RunEndedAsync(episode: 1);
        Assert.That((first.State, first.EndReason), Is.EqualTo((FlowState.Exited, WaitlistStopReasons.SoldOutAgain + " (2 told)")));
        Assert.That((await MailSink.AllAsync()).Count(m => m.Subject.Contains("back in stock", StringComparison.Ordinal)), Is.EqualTo(2));
        Assert.That(await SizeAsync(), Is.EqualTo(3));

        // The next restock resumes where the last run ended: the three still waiting, in order.
        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 3, 3));
        var all = await MailSink.WaitForAsync(m => m.Subject.Contains("back in stock", StringComparison.Ordinal), count: 5);
        var second = await RunEndedAsync(episode: 2);

        Assert.That(second.State, Is.EqualTo(FlowState.Completed));
        Assert.That(all.Select(m => m.ToAddress), Is.EquivalentTo(emails), "each subscriber exactly once");
        Assert.That((await MailSink.AllAsync()).Count(m => m.Subject.Contains("back in stock", StringComparison.Ordinal)), Is.EqualTo(5));
        Assert.That(all[0].Html, Does.Contain("https://s1.example.test/products/100?variant=11"));
    }

    [Test]
    public async Task RestockWithNobodyWaiting_StartsNoRun()
    {
        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 5, 1));
        await SettledAsync("s1", 11, 5);

        var client = _app.Services.GetRequiredService<DurableTaskClient>();
        Assert.That(await client.GetInstanceAsync(WaitlistRun.InstanceIdFor("s1", 11, 1)), Is.Null);
    }

    [Test]
    public async Task StartingARunThatAlreadyExists_IsTheSameRunAndNoError()
    {
        await SignupAsync(new { email = "a@shop.test", sku = "MUG-BLUE", consent = true });
        var client = new Mock<DurableTaskClient>("test") { CallBase = true };
        client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new OrchestrationAlreadyExistsException("An Orchestration instance with the ID waitlist-s1-11-7 already exists."));
        var handler = ActivatorUtilities.CreateInstance<ActOnBackInStock>(_app.Services, new InvocationDurableClient { Client = client.Object });
        var variant = await _app.Services.GetRequiredService<InventoryView>().GetAsync("s1", 11, CancellationToken.None);

        await handler.HandleAsync(_app.Services.GetRequiredService<StoreRegistry>().Get("s1"), variant!, new StockTransition(StockTransitionKind.BackInStock, 7, 2, 5, T0), CancellationToken.None);

        client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(It.Is<TaskName>(n => n.Name == nameof(NotifyWaitlist.NotifyWaitlistV1)), It.Is<WaitlistRun>(r => r.Episode == 7 && r.Batch == 1),
            It.Is<StartOrchestrationOptions?>(o => o!.InstanceId == "waitlist-s1-11-7"), It.IsAny<CancellationToken>()), Times.Once);
        Assert.That(await _app.Services.GetRequiredService<EffectLedger>().IsDoneAsync("s1", "waitlist-start:v11:BackInStock:7", CancellationToken.None), Is.True);
    }

    [Test]
    public async Task Unsubscribe_LinkInEveryMessageAndOneClickRemoves()
    {
        await SignupAsync(new { email = "a@shop.test", sku = "MUG-BLUE", consent = true });
        await SignupAsync(new { email = "b@shop.test", sku = "MUG-BLUE", consent = true });
        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 1, 1));
        var message = (await MailSink.WaitForAsync(m => m.ToAddress == "a@shop.test")).Single();
        using var raw = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(await MailSink.SourceAsync(message.Id)));
        var mime = await MimeKit.MimeMessage.LoadAsync(raw);
        Assert.That(mime.Headers["List-Unsubscribe"]?.Trim(), Does.StartWith("<https://automation.example.test/api/stores/s1/waitlist/unsubscribe?"));
        Assert.That(mime.Headers["List-Unsubscribe-Post"]?.Trim(), Is.EqualTo("List-Unsubscribe=One-Click"));
        Assert.That(message.Html, Does.Contain("Unsubscribe"));

        // b is still waiting (stock for one); b unsubscribes with the same kind of link, built for b's entry.
        var entry = await Azurite.Table(Waitlist.Table).QueryAsync<TableEntity>(e => e.RowKey.CompareTo("q|") >= 0 && e.RowKey.CompareTo("q}") < 0).SingleAsync();
        var link = WaitlistEndpoints.UnsubscribeUrl(_app.BaseAddress.ToString(), new WaitlistEntry("s1", 11, entry.RowKey, "", entry.GetString("Token")!, default, null));
        var page = await _app.Http.GetStringAsync(link);
        Assert.That(page, Does.Contain("<form method=\"post\""));
        Assert.That(await SizeAsync(), Is.EqualTo(1), "GET alone does not unsubscribe");
        var post = await _app.Http.PostAsync(link, new StringContent("List-Unsubscribe=One-Click", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await SizeAsync(), Is.Zero);
    }

    [Test]
    public async Task CustomerRedact_ErasesTheirWaitlistEntries()
    {
        await SignupAsync(new { email = "gone@shop.test", sku = "MUG-BLUE", consent = true });
        await SignupAsync(new { email = "stays@shop.test", sku = "MUG-BLUE", consent = true });

        await _app.PublishAsync(new CustomerRedactRequested { Id = "redact-1", StoreId = "s1", OccurredAt = T0, Email = "gone@shop.test" });

        await Eventually.Until(async () => await SizeAsync() == 1, TimeSpan.FromSeconds(15), "the entry to be erased");
        var remaining = await Azurite.Table(Waitlist.Table).QueryAsync<TableEntity>().ToListAsync();
        Assert.That(remaining.Select(r => r.GetString("Email")), Has.None.EqualTo("gone@shop.test"));
    }

    // ── Abuse: limits across instances, the client behind a proxy, the size without a scan (issue 10, item 4) ──

    private async Task RestartAsync(Action<IServiceCollection>? services, params (string Key, string Value)[] extra)
    {
        await _app.DisposeAsync();
        _app = await TestApp.StartAsync(s =>
        {
            ShopifyStore(s, _fake);
            s["Inventory:DefaultLowStockThreshold"] = "-1";
            foreach (var (key, value) in extra) s[key] = value;
        }, services);
        await _app.PublishAsync(Product("s1", 100, "Mug", Variant(11, "MUG-BLUE", 0)));
        await SettledAsync("s1", 11, 0);
    }

    private async Task<HttpStatusCode> SizeFromAsync(string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/stores/s1/waitlist/MUG-BLUE");
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return (await _app.Http.SendAsync(request)).StatusCode;
    }

    [Test]
    public async Task ForwardedFor_BelievedOnlyFromAConfiguredProxy()
    {
        // Not configured: every caller here connects from 127.0.0.1, so whatever they write, they share one allowance.
        await RestartAsync(null, ("PublicEndpoints:ReadsPerClientPerHour", "1"));
        Assert.That(await SizeFromAsync("198.51.100.1"), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await SizeFromAsync("198.51.100.2"), Is.EqualTo(HttpStatusCode.TooManyRequests));

        // 127.0.0.1 is the configured proxy: each forwarded client has its own allowance.
        await RestartAsync(null, ("PublicEndpoints:ReadsPerClientPerHour", "1"), ("PublicEndpoints:TrustedProxies:0", "127.0.0.1/32"));
        Assert.That(await SizeFromAsync("198.51.100.1"), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await SizeFromAsync("198.51.100.2"), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await SizeFromAsync("198.51.100.1"), Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(await SizeFromAsync("203.0.113.9, 198.51.100.1"), Is.EqualTo(HttpStatusCode.TooManyRequests), "an address the client wrote itself is not believed");
    }

    [Test]
    public async Task SignupsForOneEmailSpreadOverTwoInstances_CountedTogether()
    {
        await using var second = await TestApp.StartAsync(s =>
        {
            ShopifyStore(s, _fake);
            s["Inventory:DefaultLowStockThreshold"] = "-1";
            s["Stores:s1:Restock:SignupsPerEmailPerHour"] = "3";
        }, keepStorage: true);

        var answers = new List<HttpStatusCode>();
        foreach (var instance in new[] { _app, second, _app })
        {
            answers.Add((await instance.Http.PostAsJsonAsync("api/stores/s1/waitlist", new { email = "a@shop.test", sku = "MUG-BLUE", consent = true })).StatusCode);
        }

        Assert.That(answers, Is.EqualTo(new[] { HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.OK }));
        Assert.That((await second.Http.PostAsJsonAsync("api/stores/s1/waitlist", new { email = "a@shop.test", sku = "MUG-BLUE", consent = true })).StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
    }

    [Test]
    public async Task SignupsForOneProduct_LimitedWhoeverSignsUp()
    {
        await RestartAsync(null, ("Stores:s1:Restock:SignupsPerVariantPerHour", "2"));
        Assert.That((await SignupAsync(new { email = "a@shop.test", sku = "MUG-BLUE", consent = true })).StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That((await SignupAsync(new { email = "b@shop.test", sku = "MUG-BLUE", consent = true })).StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That((await SignupAsync(new { email = "c@shop.test", sku = "MUG-BLUE", consent = true })).StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
    }

    [Test]
    public async Task WaitlistSize_OneReadWhileTheListIsUnchanged_RightAgainAfterASignup()
    {
        var requests = new StorageRequests();
        await RestartAsync(s => s.Configure<Automation.Storage.StorageClientsOptions>(o => o.Policies.Add(requests)));

        // 2,500 people waiting: counting them takes three pages of 1,000.
        var table = Azurite.Table(Waitlist.Table);
        await table.CreateIfNotExistsAsync();
        var partition = Waitlist.Partition("s1", 11);
        foreach (var chunk in Enumerable.Range(0, 2500).Chunk(100))
        {
            await table.SubmitTransactionAsync(chunk.Select(i => new TableTransactionAction(TableTransactionActionType.Add,
                new TableEntity(partition, $"q|{i:D19}|hash{i}") { ["Email"] = $"p{i}@shop.test", ["Token"] = "t" })));
        }

        var sizes = new List<int>();
        for (var i = 0; i < 10; i++) sizes.Add(await SizeAsync());

        Assert.That(sizes, Is.All.EqualTo(2500));
        Assert.That(requests.Count(r => r.IsTableQuery(Waitlist.Table)), Is.EqualTo(3), "the list is counted once (three pages), then read from its kept count");

        Assert.That((await SignupAsync(new { email = "new@shop.test", sku = "MUG-BLUE", consent = true })).StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(await SizeAsync(), Is.EqualTo(2501));
        Assert.That(await SizeAsync(), Is.EqualTo(2501));
        Assert.That(requests.Count(r => r.IsTableQuery(Waitlist.Table)), Is.LessThanOrEqualTo(6));
    }
}
