using Automation.Events;
using Automation.Inventory;
using Microsoft.Extensions.Time.Testing;

namespace Automation.Tests.Inventory;

public sealed class InventoryRulesTests
{
    private FakeTimeProvider _time = null!;
    private InventoryOptions _options = null!;
    private VariantStock _variant = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 20, 9, 0, 0, TimeSpan.Zero));
        _options = new InventoryOptions { DefaultLowStockThreshold = 5 };
        _variant = new VariantStock { StoreId = "s1", VariantId = 11 };
    }

    private InventoryLevelChanged Level(int? available, TimeSpan age, string location = "loc-1") => new()
    {
        Id = Guid.NewGuid().ToString(),
        StoreId = "s1",
        OccurredAt = _time.GetUtcNow() - age,
        VariantId = 11,
        ProductId = 100,
        Sku = "SKU-11",
        LocationId = location,
        Available = available,
    };

    private List<StockTransitionKind> Apply(InventoryLevelChanged level)
    {
        var before = _variant.Pending.Count;
        InventoryRules.ApplyLevel(_variant, level, _options, _time.GetUtcNow());
        return [.. _variant.Pending.Skip(before).Select(t => t.Kind)];
    }

    [Test]
    public void OlderReadingAfterNewer_IgnoredAndLevelKept()
    {
        Apply(Level(10, TimeSpan.Zero));
        _time.Advance(TimeSpan.FromMinutes(1));

        var transitions = Apply(Level(0, TimeSpan.FromMinutes(5)));

        Assert.That(transitions, Is.Empty);
        Assert.That(_variant.Available([]), Is.EqualTo(10));
    }

    [Test]
    public void CrossingThenMoreLowReadings_OneTransition()
    {
        Apply(Level(10, TimeSpan.Zero));
        var all = new List<StockTransitionKind>();
        foreach (var quantity in new[] { 4, 3, 3, 2 })
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            all.AddRange(Apply(Level(quantity, TimeSpan.Zero)));
        }

        Assert.That(all, Is.EqualTo(new[] { StockTransitionKind.BecameLow }));
    }

    [Test]
    public void TwoLocations_SoldOutOnlyWhenOnlineSumIsZero()
    {
        Apply(Level(3, TimeSpan.Zero, "shop"));
        Apply(Level(4, TimeSpan.Zero, "warehouse"));
        _time.Advance(TimeSpan.FromMinutes(1));

        var transitions = Apply(Level(0, TimeSpan.Zero, "shop"));

        Assert.That(transitions, Does.Not.Contain(StockTransitionKind.SoldOut));
        Assert.That(_variant.Available([]), Is.EqualTo(4));
    }

    [Test]
    public void OfflineLocationHasStock_OnlineZeroIsSoldOut()
    {
        _options.OnlineLocations = ["shop"];
        Apply(Level(3, TimeSpan.Zero, "shop"));
        Apply(Level(40, TimeSpan.Zero, "back-office"));
        _time.Advance(TimeSpan.FromMinutes(1));

        var transitions = Apply(Level(0, TimeSpan.Zero, "shop"));

        Assert.That(transitions, Does.Contain(StockTransitionKind.SoldOut));
    }

    [Test]
    public void UntrackedQuantity_NoTransition()
    {
        Assert.That(Apply(Level(null, TimeSpan.Zero)), Is.Empty);
    }

    [TestCase(null, null, 5, TestName = "NothingSet_StoreDefault")]
    [TestCase(null, 8, 8, TestName = "WooLowStockAmount_UsedOverStoreDefault")]
    [TestCase(2, 8, 2, TestName = "SkuSetting_WinsOverWooAmount")]
    public void Threshold_Precedence(int? skuThreshold, int? wooAmount, int expected)
    {
        if (skuThreshold is { } t) _options.SkuThresholds["SKU-11"] = t;
        _variant.Sku = "SKU-11";
        _variant.LowStockAmount = wooAmount;

        Assert.That(InventoryRules.Threshold(_variant, _options), Is.EqualTo(expected));
    }

    [Test]
    public void ProductTotalThenLocationLevels_LocationsWin()
    {
        var product = new ProductUpdated
        {
            Id = "p1", StoreId = "s1", OccurredAt = _time.GetUtcNow(), ProductId = 100, Title = "Mug",
            Variants = [new VariantSnapshot(11, "SKU-11", "Blue", 9001, 50, true, false, null, null, 12m)],
        };
        InventoryRules.ApplyProduct(_variant, product, product.Variants[0], _options, _time.GetUtcNow());
        Assert.That(_variant.Available([]), Is.EqualTo(50));

        _time.Advance(TimeSpan.FromMinutes(1));
        Apply(Level(2, TimeSpan.Zero));

        Assert.That(_variant.Available([]), Is.EqualTo(2));
        Assert.That(_variant.Pending.Select(t => t.Kind), Is.EqualTo(new[] { StockTransitionKind.BecameLow }));
    }

    [Test]
    public void StaleProductUpdate_DoesNotOverwriteNewerOne()
    {
        ProductUpdated Product(string title, TimeSpan age) => new()
        {
            Id = title, StoreId = "s1", OccurredAt = _time.GetUtcNow() - age, ProductId = 100, Title = title,
            Variants = [new VariantSnapshot(11, "SKU-11", "Blue", null, 7, true, true, null, null, 12m)],
        };
        var fresh = Product("New title", TimeSpan.Zero);
        var stale = Product("Old title", TimeSpan.FromHours(1));
        InventoryRules.ApplyProduct(_variant, fresh, fresh.Variants[0], _options, _time.GetUtcNow());

        var changed = InventoryRules.ApplyProduct(_variant, stale, stale.Variants[0], _options, _time.GetUtcNow());

        Assert.That(changed, Is.False);
        Assert.That(_variant.ProductTitle, Is.EqualTo("New title"));
    }

    [Test]
    public void LocationThreshold_AlertsForThatLocationAlone()
    {
        _options.LocationThresholds["shop"] = 2;
        Apply(Level(30, TimeSpan.Zero, "warehouse"));
        Apply(Level(5, TimeSpan.Zero, "shop"));
        _time.Advance(TimeSpan.FromMinutes(1));

        Apply(Level(1, TimeSpan.Zero, "shop"));

        Assert.That(_variant.Pending.Select(t => (t.Kind, t.Location)), Is.EqualTo(new[] { (StockTransitionKind.BecameLow, (string?)"shop") }));
    }
}
