namespace Automation.LowStock;

/// <summary>What the reorder suggestion is computed from.</summary>
/// <param name="UnitsPerDay">Recent sales velocity.</param>
/// <param name="LeadTime">How long the supplier takes to deliver.</param>
/// <param name="DaysOfCover">How long the delivery should last once it arrives.</param>
/// <param name="OnHand">Available now; negative when oversold (backorders are owed, so they add to the need).</param>
/// <param name="OnOrder">Already ordered and not yet received.</param>
/// <param name="WaitlistDemand">Back-in-stock subscribers waiting (each counted as one unit).</param>
public sealed record ReorderInput(
    double UnitsPerDay,
    TimeSpan LeadTime,
    TimeSpan DaysOfCover,
    int OnHand,
    int OnOrder,
    int WaitlistDemand,
    int MinimumOrderQuantity = 1,
    int PackSize = 1);

public static class ReorderCalculator
{
    /// <summary>
    /// Expected sales over (lead time + days of cover), minus on hand and on order, plus waitlist demand; nothing when
    /// that is not positive; otherwise at least the minimum order quantity, rounded up to whole packs. The waitlist is
    /// added before rounding so the order stays a whole number of packs.
    /// </summary>
    public static int SuggestedQuantity(ReorderInput input)
    {
        var horizonDays = (input.LeadTime + input.DaysOfCover).TotalDays;
        var expected = (long)Math.Ceiling(Math.Max(0, input.UnitsPerDay) * Math.Max(0, horizonDays) - 1e-9);
        var need = expected - input.OnHand - Math.Max(0, input.OnOrder) + Math.Max(0, input.WaitlistDemand);
        if (need <= 0) return 0;

        var pack = Math.Max(1, input.PackSize);
        var quantity = Math.Max(need, Math.Max(1, input.MinimumOrderQuantity));
        var rounded = (quantity + pack - 1) / pack * pack;
        return (int)Math.Min(rounded, int.MaxValue / pack * pack);
    }

    /// <summary>How many days the stock lasts at the current velocity (null when nothing sells).</summary>
    public static double? DaysOfCoverLeft(int onHand, double unitsPerDay) =>
        unitsPerDay <= 0 ? null : Math.Max(0, onHand) / unitsPerDay;
}
