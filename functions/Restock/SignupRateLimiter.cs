using System.Collections.Concurrent;

namespace Automation.Restock;

/// <summary>
/// Fixed one-hour windows per key (client IP, email). Kept in memory: it protects one instance from a flood and
/// costs no storage round trip; with several instances each counts separately (see the README).
/// </summary>
public sealed class SignupRateLimiter(TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, (long Window, int Count)> _counts = new(StringComparer.Ordinal);

    /// <summary>Counts one attempt for <paramref name="key"/>; false (with the wait) once the limit is used up.</summary>
    public bool TryAcquire(string key, int limit, out TimeSpan retryAfter)
    {
        var now = time.GetUtcNow();
        var window = now.UtcTicks / Window.Ticks;
        var (_, count) = _counts.AddOrUpdate(key, _ => (window, 1), (_, current) => current.Window == window ? (window, current.Count + 1) : (window, 1));
        retryAfter = TimeSpan.FromTicks(((window + 1) * Window.Ticks) - now.UtcTicks);
        if (_counts.Count > 100_000) Sweep(window);
        return count <= limit;
    }

    private void Sweep(long window)
    {
        foreach (var (key, value) in _counts)
        {
            if (value.Window < window) _counts.TryRemove(key, out _);
        }
    }
}
