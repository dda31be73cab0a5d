using Automation.Returns;
using Automation.Stores;
using Automation.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Automation.Tests.Returns;

public class ReturnPolicyConfigurationTests
{
    private Dictionary<string, string?> _settings = null!;

    [SetUp]
    public void SetUp() => _settings = new()
    {
        ["Stores:s1:Platform"] = "Shopify",
        ["Stores:s1:ShopDomain"] = "s1.myshopify.com",
        ["Stores:s1:WebhookSecret"] = TestSecrets.For("webhook"),
        ["Stores:s1:Returns:Warehouses:0:Id"] = "ams",
        ["Stores:s1:Returns:Warehouses:0:Line1"] = "Havenweg 4",
        ["Stores:s1:Returns:Warehouses:0:City"] = "Amsterdam",
        ["Stores:s1:Returns:Warehouses:0:CountryCode"] = "NL",
        ["Stores:s2:Platform"] = "WooCommerce",
        ["Stores:s2:SiteUrl"] = "https://s2.example.com/",
        ["Stores:s2:WebhookSecret"] = TestSecrets.For("webhook-2"),
    };

    private ReturnPolicies Load()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(_settings).Build();
        return ReturnPolicies.FromConfiguration(configuration, StoreRegistry.FromConfiguration(configuration));
    }

    [Test]
    public void StoreWithWarehouse_GetsTheDefaults()
    {
        var policy = Load().For("s1")!;

        Assert.That(policy.Window, Is.EqualTo(TimeSpan.FromDays(30)));
        Assert.That(policy.WindowFrom, Is.EqualTo(WindowStart.Fulfillment));
        Assert.That(policy.EffectiveFinalSaleTags, Is.EqualTo(new[] { "final-sale" }));
        Assert.That((policy.ReviewAboveValue, policy.ReviewAfterReturns, policy.KeepItBelowValue), Is.EqualTo((500m, 3, (decimal?)null)));
        Assert.That((policy.RefundAutomatically, policy.WooCommerceApiRefund, policy.WooCommerceCustomerNote), Is.EqualTo((false, false, false)));
    }

    [Test]
    public void StoreWithoutWarehouse_HasNoReturns()
    {
        Assert.That(Load().For("s2"), Is.Null);
    }

    [Test]
    public void RulesAreData_SettingsOverrideTheDefaults()
    {
        _settings["Stores:s1:Returns:Window"] = "14.00:00:00";
        _settings["Stores:s1:Returns:WindowFrom"] = "Delivery";
        _settings["Stores:s1:Returns:FinalSaleTags:0"] = "outlet";
        _settings["Stores:s1:Returns:Segments:0:Name"] = "VIP";
        _settings["Stores:s1:Returns:Segments:0:CustomerTag"] = "vip";
        _settings["Stores:s1:Returns:KeepItBelowValue"] = "7.5";

        var policy = Load().For("s1")!;

        Assert.That((policy.Window, policy.WindowFrom), Is.EqualTo((TimeSpan.FromDays(14), WindowStart.Delivery)));
        Assert.That(policy.EffectiveFinalSaleTags, Is.EqualTo(new[] { "outlet" }));
        Assert.That(policy.Segments.Single().CustomerTag, Is.EqualTo("vip"));
        Assert.That(policy.KeepItBelowValue, Is.EqualTo(7.5m));
    }

    [Test]
    public void EmptyFinalSaleTag_TurnsTheTagRuleOff()
    {
        _settings["Stores:s1:Returns:FinalSaleTags:0"] = "";

        Assert.That(Load().For("s1")!.EffectiveFinalSaleTags, Is.Empty);
    }

    [Test]
    public void BrokenRule_StopsTheStartNamingTheSetting()
    {
        _settings["Stores:s1:Returns:Routing:0:Warehouse"] = "nowhere";
        _settings["Stores:s1:Returns:HandlingFee"] = "-1";

        var error = Assert.Throws<OptionsValidationException>(() => Load());

        Assert.That(error!.Failures, Has.Some.Contains("Stores:s1:Returns: Routing rule points at warehouse 'nowhere'"));
        Assert.That(error.Failures, Has.Some.Contains("Stores:s1:Returns: HandlingFee must not be negative."));
    }

    [TestCase("size_too_small", "SIZE_TOO_SMALL")]
    [TestCase("Too big", "SIZE_TOO_LARGE")]
    [TestCase("damaged", "DEFECTIVE")]
    [TestCase("colour", "COLOR")]
    [TestCase(null, "OTHER")]
    [TestCase("the cat did not like it", "OTHER")]
    public void CustomerReason_MapsToShopifysReturnReason(string? reason, string expected)
    {
        Assert.That(ShopifyReturns.ReturnReason(reason), Is.EqualTo(expected));
    }
}
