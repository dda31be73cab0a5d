using Automation.Storage;
using Automation.Tests.Infrastructure;
using Azure.Data.Tables;
using Microsoft.DurableTask.Client;

namespace Automation.Tests.Compliance;

/// <summary>
/// Shopify's <c>customers/redact</c>: one customer, seeded across every automation through the real paths, is then
/// nowhere in storage — not in a table (Durable's History and Instances included), a blob, or a queue message.
/// </summary>
[NonParallelizable]
public sealed class CustomerErasureTests
{
    private const string Store = "shop";
    private const string Email = "zenobia.quillfeather@example.test";
    private const string FirstName = "Zenobia";
    private const string LastName = "Quillfeather";

    private FakePlatform _platform = null!;
    private TestApp _app = null!;

    [SetUp]
    public async Task SetUp()
    {
        await MailSink.ClearAsync();
        _platform = await FakePlatform.StartAsync();
        ErasureScenario.ProgramShopify(_platform, Email, FirstName, LastName);
        _app = await TestApp.StartAsync(s => ErasureScenario.Configure(s, _platform, Store));
    }

    [TearDown]
    public async Task TearDown()
    {
        await _app.DisposeAsync();
        await _platform.DisposeAsync();
    }

    [Test]
    public async Task CustomerRedact_LeavesTheirEmailAndNameNowhereInStorage()
    {
        var customer = new ErasureScenario(_app, Store, Email, FirstName, LastName);
        await customer.SeedAsync();

        // The scan sees them where the automations keep them.
        var before = await StorageScan.FindAsync(Email, LastName);
        Assert.That(before, Has.Some.Contains($"table {TableNames.WebhookDeliveries} "), "raw deliveries");
        Assert.That(before, Has.Some.Contains("table Returns "), "the return");
        Assert.That(before, Has.Some.Contains("table Waitlist "), "the waitlist entry");
        Assert.That(before, Has.Some.Matches<string>(f => f!.Contains("History", StringComparison.Ordinal) || f.Contains("Instances", StringComparison.Ordinal)), "Durable's history and inputs");

        await customer.RedactAsync();

        var left = await StorageScan.UntilNowhereAsync(TimeSpan.FromSeconds(90), Email, FirstName, LastName);
        Assert.That(left, Is.Empty, "where the customer is still found");

        var durable = _app.Services.GetRequiredService<DurableTaskClient>();
        Assert.That(await durable.GetInstanceAsync(Automation.Returns.StartReturnFlow.InstanceId(Store, customer.Rma!)), Is.Null, "the return's flow history is purged");
        Assert.That(await customer.LabelExistsAsync(), Is.False, "the label is deleted");
        var record = await Azurite.Table(TableNames.ComplianceRequests).QueryAsync<TableEntity>(Automation.Retention.DayIndex.DataRows(Store)).SingleAsync(r => r.GetString("Type") == "CustomerRedactRequested");
        Assert.That(record.GetInt64("CustomerId"), Is.EqualTo(ErasureScenario.CustomerId), "the redaction is recorded, by customer id");
    }
}
