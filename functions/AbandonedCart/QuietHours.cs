namespace Automation.AbandonedCart;

/// <summary>Quiet hours in the store's time zone: a message due inside them is delayed to their end, never dropped.</summary>
public static class QuietHours
{
    /// <summary>The end of the quiet hours <paramref name="now"/> falls in, or null when it is not inside them.</summary>
    public static DateTimeOffset? EndIfQuiet(DateTimeOffset now, TimeZoneInfo zone, TimeSpan start, TimeSpan end)
    {
        if (start == end) return null;
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var time = local.TimeOfDay;
        var quiet = start < end ? time >= start && time < end : time >= start || time < end;
        if (!quiet) return null;

        var endDate = time < end ? local.Date : local.Date.AddDays(1);
        var endLocal = DateTime.SpecifyKind(endDate + end, DateTimeKind.Unspecified);

        // The end may fall into a daylight-saving gap: then it is the first valid minute after it.
        while (zone.IsInvalidTime(endLocal)) endLocal = endLocal.AddMinutes(1);
        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(endLocal, zone), TimeSpan.Zero);
    }
}
