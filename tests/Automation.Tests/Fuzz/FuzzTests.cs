using Automation.Tests.Infrastructure;

namespace Automation.Tests.Fuzz;

/// <summary>
/// Issue 10, item 9: thousands of random and mutated requests with a fixed seed against both webhook endpoints and
/// every public endpoint never get a 5xx, never store anything for an unauthenticated request, and leave the app
/// serving. The longer run is <c>bench fuzz</c>.
/// </summary>
[NonParallelizable]
public sealed class FuzzTests
{
    public const int Seed = 20261130;

    [Test]
    public async Task ThousandsOfBadRequests_No5xx_NothingStoredButAcceptedSignups_AppStillServing()
    {
        await using var fuzz = await FuzzHarness.StartAsync();
        var before = await FuzzHarness.SnapshotAsync();

        var report = await fuzz.RunAsync(Seed, count: 3000, concurrency: 8);
        TestContext.Out.WriteLine(report.Summary());

        Assert.That(report.Failures, Is.Empty, report.Summary());
        Assert.That(report.ServerErrors, Is.Zero);
        Assert.That(report.ByStatus.Keys, Has.Some.EqualTo(401).And.Some.EqualTo(400).And.Some.EqualTo(404), "the run reached the checks it is meant to hit");

        // Nothing stored, except each accepted signup's own entry: its row in line, its email's row, its index rows.
        var after = await FuzzHarness.SnapshotAsync();
        var added = after.Except(before).ToList();
        var removed = before.Except(after).ToList();
        Assert.That(removed, Is.Empty);
        Assert.That(added.Where(a => !a.StartsWith("table Waitlist", StringComparison.Ordinal)), Is.Empty, "only accepted signups store anything");
        Assert.That(added.Count(a => a.StartsWith("table Waitlist ", StringComparison.Ordinal) && a.Contains(" q|", StringComparison.Ordinal)), Is.EqualTo(report.SignupsAccepted));
        Assert.That(added.Count(a => a.StartsWith("table Waitlist ", StringComparison.Ordinal) && a.Contains(" e|", StringComparison.Ordinal)), Is.EqualTo(report.SignupsAccepted));
        Assert.That(added.Count(a => a.StartsWith("table WaitlistByEmail ", StringComparison.Ordinal) && !a.Contains(" ~day|", StringComparison.Ordinal)), Is.EqualTo(report.SignupsAccepted));
        Assert.That(added.Count(a => a.StartsWith("table WaitlistByEmail ", StringComparison.Ordinal) && a.Contains(" ~day|", StringComparison.Ordinal)), Is.EqualTo(report.SignupsAccepted), "each signup's retention index row");
        Assert.That(fuzz.Platform.Requests.Select(r => r.GraphQLQuery), Has.None.Contains("mutation Request").And.None.Contains("mutation Approve"), "no return reached the platform");

        Assert.That(await fuzz.StillServingAsync(), Is.Empty);
    }
}
