using Automation.Returns;
using static Automation.Tests.Returns.ReturnBuilders;

namespace Automation.Tests.Returns;

public class WarehouseRoutingTests
{
    private ReturnPolicy _policy = null!;

    [SetUp]
    public void SetUp()
    {
        _policy = Policy();
        _policy.Warehouses =
        [
            new Warehouse { Id = "us", Name = "Returns US", Line1 = "1 Dock St", City = "Newark", Province = "NJ", PostalCode = "07102", CountryCode = "US" },
            new Warehouse { Id = "de", Name = "Returns DE", Line1 = "Hafenstr. 2", City = "Hamburg", PostalCode = "20457", CountryCode = "DE" },
            new Warehouse { Id = "big", Name = "Bulky goods", Line1 = "Industrieweg 9", City = "Venlo", PostalCode = "5928", CountryCode = "NL" },
        ];
    }

    [TestCase("NL", 11, "big", "same country")]
    [TestCase("IT", 11, "de", "nearest country")]
    [TestCase("CA", 11, "us", "nearest country")]
    [TestCase("ZZ", 11, "us", "default warehouse")]
    [TestCase("NL", 12, "us", "routing rule #1")]
    [TestCase("CA", 13, "de", "routing rule #2")]
    public void Choose_FollowsRulesThenCountryThenDistance(string country, long lineItemId, string expected, string why)
    {
        _policy.Routing =
        [
            new RoutingRule { Warehouse = "us", ProductTypes = ["shoes"] },
            new RoutingRule { Warehouse = "de", ProductTypes = ["Bags"], Countries = ["CA", "US"] },
        ];
        var order = Order(Shirt(), Shoes(), new OrderLine(13, "Tote", null, 1, 30m, ProductType: "Bags")) with { ShippingAddress = CustomerAddress(country) };

        var (warehouse, reason) = WarehouseRouting.Choose(_policy, order, [new ReturnItem(lineItemId, 1)]);

        Assert.That(warehouse.Id, Is.EqualTo(expected));
        Assert.That(reason, Is.EqualTo(why));
    }

    [Test]
    public void Validate_RuleToUnknownWarehouse_IsReported()
    {
        _policy.Routing = [new RoutingRule { Warehouse = "nowhere" }];

        Assert.That(_policy.Validate(), Has.One.Contains("'nowhere'"));
    }
}
