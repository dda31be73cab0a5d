using Automation.Returns;
using static Automation.Tests.Returns.ReturnBuilders;

namespace Automation.Tests.Returns;

public class ReturnRulesTests
{
    private ReturnPolicy _policy = null!;
    private ReturnOrder _order = null!;
    private ReturnRequest _request = null!;
    private int _recentReturns;

    [SetUp]
    public void SetUp()
    {
        _policy = Policy();
        _order = Order();
        _request = Request(Fulfilled.AddDays(10));
        _recentReturns = 0;
    }

    /// <summary>The rule matrix: each row arranges one situation on top of the valid defaults.</summary>
    [TestCase("within window", ReturnOutcome.Approved, "approve", 0)]
    [TestCase("last moment of the window", ReturnOutcome.Approved, "approve", 0)]
    [TestCase("one second after the window", ReturnOutcome.Declined, "return-window", 0)]
    [TestCase("window from order date, late", ReturnOutcome.Declined, "return-window", 0)]
    [TestCase("window from delivery, still open", ReturnOutcome.Approved, "approve", 0)]
    [TestCase("window from delivery, no delivery date falls back to fulfilment", ReturnOutcome.Declined, "return-window", 0)]
    [TestCase("not fulfilled", ReturnOutcome.Declined, "not-fulfilled", 0)]
    [TestCase("final sale by default tag", ReturnOutcome.Declined, "final-sale:tag", 0)]
    [TestCase("final sale tag turned off", ReturnOutcome.Approved, "approve", 0)]
    [TestCase("final sale by product type", ReturnOutcome.Declined, "final-sale:product-type", 0)]
    [TestCase("final sale by collection", ReturnOutcome.Declined, "final-sale:collection", 0)]
    [TestCase("discounted item, discounted final sale", ReturnOutcome.Declined, "final-sale:discounted", 0)]
    [TestCase("discounted item, discounts returnable", ReturnOutcome.Approved, "approve", 0)]
    [TestCase("handling fee", ReturnOutcome.Approved, "approve", 4.95)]
    [TestCase("VIP returns free", ReturnOutcome.Approved, "approve:segment:VIP", 0)]
    [TestCase("first matching segment wins", ReturnOutcome.Approved, "approve:segment:Gold", 2)]
    [TestCase("exchange waives the fee", ReturnOutcome.Approved, "approve", 0)]
    [TestCase("exchange with fee kept", ReturnOutcome.Approved, "approve", 4.95)]
    [TestCase("store credit pays the fee", ReturnOutcome.Approved, "approve", 4.95)]
    [TestCase("above review value", ReturnOutcome.ManualReview, "review:value", 0)]
    [TestCase("exactly the review value", ReturnOutcome.Approved, "approve", 0)]
    [TestCase("many recent returns", ReturnOutcome.ManualReview, "review:recent-returns", 0)]
    [TestCase("one return fewer than the review count", ReturnOutcome.Approved, "approve", 0)]
    [TestCase("below keep-it value", ReturnOutcome.KeepIt, "keep-it", 0)]
    [TestCase("exactly the keep-it value", ReturnOutcome.Approved, "approve", 0)]
    [TestCase("window beats final sale", ReturnOutcome.Declined, "return-window", 0)]
    [TestCase("final sale beats review", ReturnOutcome.Declined, "final-sale:tag", 0)]
    [TestCase("review beats keep-it", ReturnOutcome.ManualReview, "review:recent-returns", 0)]
    public void RuleMatrix_DecidesByTheFirstMatchingRule(string scenario, ReturnOutcome outcome, string rule, decimal fee)
    {
        Arrange(scenario);

        var decision = ReturnRules.Decide(_policy, _order, _request, _recentReturns);

        Assert.That(decision.Outcome, Is.EqualTo(outcome), decision.Reason);
        Assert.That(decision.Rule, Is.EqualTo(rule));
        Assert.That(decision.Fee, Is.EqualTo(fee));
        Assert.That(decision.Reason, Is.Not.Empty);
    }

    private void Arrange(string scenario)
    {
        switch (scenario)
        {
            case "within window": break;
            case "last moment of the window": _request = _request with { RequestedAt = Fulfilled.AddDays(30) }; break;
            case "one second after the window": _request = _request with { RequestedAt = Fulfilled.AddDays(30).AddSeconds(1) }; break;
            case "window from order date, late":
                _policy.WindowFrom = WindowStart.Order;
                _request = _request with { RequestedAt = Ordered.AddDays(31) };
                break;
            case "window from delivery, still open":
                _policy.WindowFrom = WindowStart.Delivery;
                _request = _request with { RequestedAt = Delivered.AddDays(29) };
                break;
            case "window from delivery, no delivery date falls back to fulfilment":
                _policy.WindowFrom = WindowStart.Delivery;
                _order = _order with { DeliveredAt = null };
                _request = _request with { RequestedAt = Fulfilled.AddDays(31) };
                break;
            case "not fulfilled": _order = _order with { FulfilledAt = null, DeliveredAt = null }; break;
            case "final sale by default tag": Tag("final-sale"); break;
            case "final sale tag turned off":
                Tag("final-sale");
                _policy.FinalSaleTags = [];
                break;
            case "final sale by product type": _policy.FinalSaleProductTypes = ["shirts"]; break;
            case "final sale by collection": _policy.FinalSaleCollections = ["new-in"]; break;
            case "discounted item, discounted final sale":
                Discount();
                _policy.DiscountedItemsAreFinalSale = true;
                break;
            case "discounted item, discounts returnable": Discount(); break;
            case "handling fee": _policy.HandlingFee = 4.95m; break;
            case "VIP returns free":
                _policy.HandlingFee = 4.95m;
                _policy.Segments = [new FeeSegment { Name = "VIP", CustomerTag = "VIP", Fee = 0 }];
                _order = _order with { CustomerTags = ["vip"] };
                break;
            case "first matching segment wins":
                _policy.HandlingFee = 4.95m;
                _policy.Segments = [new FeeSegment { Name = "Gold", CustomerTag = "gold", Fee = 2 }, new FeeSegment { Name = "VIP", CustomerTag = "VIP", Fee = 0 }];
                _order = _order with { CustomerTags = ["VIP", "gold"] };
                break;
            case "exchange waives the fee":
                _policy.HandlingFee = 4.95m;
                _request = _request with { Wish = ReturnWish.Exchange };
                break;
            case "exchange with fee kept":
                _policy.HandlingFee = 4.95m;
                _policy.ExchangeWaivesFee = false;
                _request = _request with { Wish = ReturnWish.Exchange };
                break;
            case "store credit pays the fee":
                _policy.HandlingFee = 4.95m;
                _request = _request with { Wish = ReturnWish.StoreCredit };
                break;
            case "above review value":
                _policy.ReviewAboveValue = 79.99m;
                _request = _request with { Items = [new ReturnItem(11, 2)] };
                break;
            case "exactly the review value":
                _policy.ReviewAboveValue = 80m;
                _request = _request with { Items = [new ReturnItem(11, 2)] };
                break;
            case "many recent returns": _recentReturns = 3; break;
            case "one return fewer than the review count": _recentReturns = 2; break;
            case "below keep-it value": _policy.KeepItBelowValue = 40.01m; break;
            case "exactly the keep-it value": _policy.KeepItBelowValue = 40m; break;
            case "window beats final sale":
                Tag("final-sale");
                _request = _request with { RequestedAt = Fulfilled.AddDays(45) };
                break;
            case "final sale beats review":
                Tag("final-sale");
                _recentReturns = 10;
                break;
            case "review beats keep-it":
                _policy.KeepItBelowValue = 1000m;
                _recentReturns = 5;
                break;
            default: throw new ArgumentOutOfRangeException(nameof(scenario), scenario, "No arrangement for this row.");
        }
    }

    private void Tag(string tag) => _order = _order with { Lines = [Shirt() with { Tags = ["summer", tag] }, Shoes()] };

    private void Discount() => _order = _order with { Lines = [Shirt() with { Discounted = true }, Shoes()] };

    [Test]
    public void Exchange_GetsFreeShippingOnTheReplacement()
    {
        var decision = ReturnRules.Decide(_policy, _order, _request with { Wish = ReturnWish.Exchange }, 0);

        Assert.That(decision.FreeShippingOnReplacement, Is.True);
        Assert.That(decision.Reason, Does.Contain("ships free"));
    }

    [Test]
    public void Refund_GetsNoFreeShipping()
    {
        Assert.That(ReturnRules.Decide(_policy, _order, _request, 0).FreeShippingOnReplacement, Is.False);
    }

    [Test]
    public void LateReturn_ExplainsTheWindowInPlainWords()
    {
        var decision = ReturnRules.Decide(_policy, _order, _request with { RequestedAt = Fulfilled.AddDays(40) }, 0);

        Assert.That(decision.DeclineReason, Is.EqualTo(DeclineReason.ReturnPeriodEnded));
        Assert.That(decision.Reason, Is.EqualTo("Returns are accepted within 30 days of shipping; this order's window ended on 2026-04-02."));
    }

    [Test]
    public void FinalSale_NamesTheItemAndTheTag()
    {
        Tag("Final-Sale");

        var decision = ReturnRules.Decide(_policy, _order, _request, 0);

        Assert.That(decision.DeclineReason, Is.EqualTo(DeclineReason.FinalSale));
        Assert.That(decision.Reason, Does.Contain("\"Linen shirt\" is final sale"));
    }

    [Test]
    public void Decision_RecordsTheValueOfTheReturnedItems()
    {
        var decision = ReturnRules.Decide(_policy, _order, _request with { Items = [new ReturnItem(11, 2), new ReturnItem(12, 1)] }, 0);

        Assert.That(decision.ItemsValue, Is.EqualTo(200m));
    }
}
