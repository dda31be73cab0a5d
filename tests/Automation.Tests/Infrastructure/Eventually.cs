using System.Diagnostics;

namespace Automation.Tests.Infrastructure;

/// <summary>Waits for a condition an asynchronous system will reach, polling; fails with what was awaited.</summary>
public static class Eventually
{
    public static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await condition()) return;
            if (clock.Elapsed > timeout) Assert.Fail($"Timed out after {timeout} waiting for {what}.");
            await Task.Delay(25);
        }
    }

    public static Task Until(Func<bool> condition, TimeSpan timeout, string what) => Until(() => Task.FromResult(condition()), timeout, what);
}
