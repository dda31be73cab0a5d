using Cronos;

namespace Automation.LocalHost.Timers;

/// <summary>An NCRONTAB schedule (6 fields with seconds first, or 5 without) evaluated in a time zone (UTC by default).</summary>
public sealed class TimerSchedule
{
    private readonly CronExpression _expression;

    private TimerSchedule(string text, CronExpression expression, TimeZoneInfo timeZone)
    {
        Text = text;
        _expression = expression;
        TimeZone = timeZone;
    }

    public string Text { get; }
    public TimeZoneInfo TimeZone { get; }

    public static TimerSchedule Parse(string expression, TimeZoneInfo? timeZone = null)
    {
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var format = fields.Length switch
        {
            6 => CronFormat.IncludeSeconds,
            5 => CronFormat.Standard,
            _ => throw new FormatException($"'{expression}' is not an NCRONTAB schedule: expected 6 fields ({{second}} {{minute}} {{hour}} {{day}} {{month}} {{day-of-week}}) or 5."),
        };
        try
        {
            return new TimerSchedule(expression, CronExpression.Parse(string.Join(' ', fields), format), timeZone ?? TimeZoneInfo.Utc);
        }
        catch (CronFormatException ex)
        {
            throw new FormatException($"'{expression}' is not a valid NCRONTAB schedule: {ex.Message}", ex);
        }
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/> (DST gaps and overlaps handled by Cronos).</summary>
    public DateTimeOffset Next(DateTimeOffset after) =>
        _expression.GetNextOccurrence(after.UtcDateTime, TimeZone, inclusive: false) is { } next
            ? new DateTimeOffset(next, TimeSpan.Zero)
            : DateTimeOffset.MaxValue;
}

/// <summary>Persisted as Functions does: <c>{ Last, Next, LastUpdated }</c> in <c>timers/{hostId}/{name}/status</c>.</summary>
public sealed record TimerScheduleStatus(DateTimeOffset Last, DateTimeOffset Next, DateTimeOffset LastUpdated);
