using Automation.Inventory;

namespace Automation.Tests.Inventory;

public sealed class StockStateTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 20, 10, 0, 0, TimeSpan.Zero);

    [TestCase(10, 8, 5, new StockTransitionKind[0], TestName = "AboveThresholdToAbove_NoTransition")]
    [TestCase(10, 5, 5, new[] { StockTransitionKind.BecameLow }, TestName = "ReachesThreshold_BecameLow")]
    [TestCase(10, 3, 5, new[] { StockTransitionKind.BecameLow }, TestName = "CrossesBelowThreshold_BecameLow")]
    [TestCase(10, 0, 5, new[] { StockTransitionKind.SoldOut, StockTransitionKind.BecameLow }, TestName = "DropsStraightToZero_SoldOutAndLow")]
    [TestCase(3, 2, 5, new StockTransitionKind[0], TestName = "LowToLower_NoTransition")]
    [TestCase(3, 0, 5, new[] { StockTransitionKind.SoldOut }, TestName = "LowToZero_SoldOutOnly")]
    [TestCase(0, -2, 5, new StockTransitionKind[0], TestName = "OversoldFurther_NoTransition")]
    [TestCase(0, 2, 5, new[] { StockTransitionKind.BackInStock }, TestName = "ZeroToLowStock_BackInStockStillLow")]
    [TestCase(0, 20, 5, new[] { StockTransitionKind.BackInStock, StockTransitionKind.Recovered }, TestName = "ZeroToPlenty_BackInStockAndRecovered")]
    [TestCase(3, 6, 5, new[] { StockTransitionKind.Recovered }, TestName = "LowToAboveThreshold_Recovered")]
    [TestCase(10, 0, -1, new[] { StockTransitionKind.SoldOut }, TestName = "LowStockSwitchedOff_OnlySoldOut")]
    public void Levels_TransitionsComputedAgainstPreviousLevel(int previous, int next, int threshold, StockTransitionKind[] expected)
    {
        var (state, _) = new StockState().Apply(previous, threshold, At);

        var (_, transitions) = state.Apply(next, threshold, At.AddMinutes(1));

        Assert.That(transitions.Select(t => t.Kind), Is.EqualTo(expected));
    }

    [Test]
    public void SoldOutTwice_EpisodesCountAndRestockNamesItsEpisode()
    {
        var state = new StockState();
        var kinds = new List<StockTransition>();
        foreach (var level in new[] { 0, 4, 0, 9 })
        {
            (state, var transitions) = state.Apply(level, -1, At);
            kinds.AddRange(transitions);
        }

        Assert.That(kinds.Select(t => (t.Kind, t.Episode)), Is.EqualTo(new[]
        {
            (StockTransitionKind.SoldOut, 1), (StockTransitionKind.BackInStock, 1),
            (StockTransitionKind.SoldOut, 2), (StockTransitionKind.BackInStock, 2),
        }));
    }

    [Test]
    public void SameLevelRepeated_FiresOnce()
    {
        var state = new StockState();
        var all = new List<StockTransition>();
        for (var i = 0; i < 5; i++)
        {
            (state, var transitions) = state.Apply(2, 5, At);
            all.AddRange(transitions);
        }

        Assert.That(all, Has.Count.EqualTo(1));
        Assert.That(all[0].Kind, Is.EqualTo(StockTransitionKind.BecameLow));
    }

    [Test]
    public void PerLocation_TracksLowOnlyNeverSoldOut()
    {
        var (_, transitions) = new StockState().Apply(0, 2, At, location: "warehouse");

        Assert.That(transitions.Select(t => (t.Kind, t.Location)), Is.EqualTo(new[] { (StockTransitionKind.BecameLow, (string?)"warehouse") }));
    }
}
