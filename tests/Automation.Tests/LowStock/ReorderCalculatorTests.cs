using Automation.LowStock;

namespace Automation.Tests.LowStock;

public sealed class ReorderCalculatorTests
{
    // velocity/day, lead days, cover days, on hand, on order, waitlist, MOQ, pack → expected
    [TestCase(2.0, 7, 14, 5, 0, 0, 1, 1, 37, TestName = "PlainNeed_ExpectedSalesMinusOnHand")]
    [TestCase(2.0, 7, 14, 5, 10, 0, 1, 1, 27, TestName = "OnOrder_Subtracted")]
    [TestCase(2.0, 7, 14, 5, 0, 6, 1, 1, 43, TestName = "Waitlist_Added")]
    [TestCase(2.0, 7, 14, 5, 0, 0, 50, 1, 50, TestName = "BelowMinimum_RaisedToMinimum")]
    [TestCase(2.0, 7, 14, 5, 0, 0, 1, 12, 48, TestName = "PackSize_RoundedUpToWholePacks")]
    [TestCase(2.0, 7, 14, 5, 0, 0, 40, 12, 48, TestName = "MinimumThenPack_BothApplied")]
    [TestCase(0.0, 7, 14, 5, 0, 0, 10, 1, 0, TestName = "NoSalesNoWaitlist_NothingToOrder")]
    [TestCase(0.0, 7, 14, 0, 0, 3, 10, 1, 10, TestName = "NoSalesButWaitlist_OrdersAtLeastMinimum")]
    [TestCase(1.0, 7, 7, 20, 0, 0, 1, 1, 0, TestName = "EnoughOnHand_NothingToOrder")]
    [TestCase(1.0, 7, 7, -4, 0, 0, 1, 1, 18, TestName = "Oversold_BackordersAddToNeed")]
    [TestCase(0.3, 3, 0, 0, 0, 0, 1, 1, 1, TestName = "FractionalSales_RoundedUp")]
    [TestCase(2.0, 7, 14, 5, 100, 0, 1, 1, 0, TestName = "PlentyOnOrder_NothingToOrder")]
    public void SuggestedQuantity_FollowsFormula(double perDay, int leadDays, int coverDays, int onHand, int onOrder, int waitlist, int moq, int pack, int expected)
    {
        var quantity = ReorderCalculator.SuggestedQuantity(new ReorderInput(perDay, TimeSpan.FromDays(leadDays), TimeSpan.FromDays(coverDays), onHand, onOrder, waitlist, moq, pack));

        Assert.That(quantity, Is.EqualTo(expected));
    }

    [TestCase(10, 2.0, 5.0)]
    [TestCase(-3, 2.0, 0.0)]
    public void DaysOfCover_OnHandOverVelocity(int onHand, double perDay, double expected) =>
        Assert.That(ReorderCalculator.DaysOfCoverLeft(onHand, perDay), Is.EqualTo(expected));

    [Test]
    public void DaysOfCover_NothingSells_Unknown() => Assert.That(ReorderCalculator.DaysOfCoverLeft(10, 0), Is.Null);
}
