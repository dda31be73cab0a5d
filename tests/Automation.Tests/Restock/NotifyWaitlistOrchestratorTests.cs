using Automation.Flows;
using Automation.Restock;
using Automation.Restock.Activities;
using Microsoft.DurableTask;
using Moq;

namespace Automation.Tests.Restock;

/// <summary>
/// <see cref="NotifyWaitlist.NotifyWaitlistV1"/> one execution at a time (each batch is a new execution after
/// ContinueAsNew), against a Moq'd orchestration context: what it asks of its activities, and where it stops.
/// </summary>
public sealed class NotifyWaitlistOrchestratorTests
{
    private static readonly DateTime Now = new(2026, 11, 20, 9, 0, 0, DateTimeKind.Utc);
    private static readonly DateTimeOffset Started = new(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);
    private static readonly WaitlistPacing Pacing = new(MaxBatchSize: 500, SubscribersPerUnit: 1, BatchInterval: TimeSpan.FromMinutes(15));

    private Mock<TaskOrchestrationContext> _context = null!;
    private List<FlowProgress> _statuses = null!;
    private List<WaitlistBatch> _batches = null!;
    private List<(string Activity, TaskOptions? Options)> _calls = null!;

    [SetUp]
    public void SetUp()
    {
        _context = new Mock<TaskOrchestrationContext>(MockBehavior.Strict);
        _statuses = [];
        _batches = [];
        _calls = [];
        _context.Setup(c => c.CurrentUtcDateTime).Returns(Now);
        _context.SetupGet(c => c.IsReplaying).Returns(false);
        _context.Setup(c => c.SetCustomStatus(It.IsAny<object?>())).Callback<object?>(status => _statuses.Add((FlowProgress)status!));
        _context.Setup(c => c.CreateTimer(It.IsAny<DateTime>(), It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
        _context.Setup(c => c.ContinueAsNew(It.IsAny<object?>(), It.IsAny<bool>()));
    }

    private static WaitlistRun Run(int batch = 1, int episode = 1, int told = 0) =>
        new("s1", 11, episode, Started) { Batch = batch, Told = told };

    private FlowProgress Last => _statuses[^1];

    private async Task RunAsync(WaitlistRun run, WaitlistStock stock, Func<WaitlistBatch, WaitlistBatchResult>? notify = null)
    {
        _context.Setup(c => c.GetInput<WaitlistRun>()).Returns(run);
        _context.Setup(c => c.CallActivityAsync<WaitlistStock>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Callback<TaskName, object?, TaskOptions?>((name, _, options) => _calls.Add((name.Name, options)))
            .ReturnsAsync(stock);
        _context.Setup(c => c.CallActivityAsync<WaitlistBatchResult>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Callback<TaskName, object?, TaskOptions?>((name, input, options) =>
            {
                _calls.Add((name.Name, options));
                _batches.Add((WaitlistBatch)input!);
            })
            .Returns<TaskName, object?, TaskOptions?>((_, input, _) => Task.FromResult((notify ?? (b => new WaitlistBatchResult(b.Size)))((WaitlistBatch)input!)));
        await NotifyWaitlist.NotifyWaitlistV1(_context.Object);
    }

    private static WaitlistStock InStock(int available, int episode = 1, WaitlistPacing? pacing = null) => new(true, false, episode, available, pacing ?? Pacing);

    [TestCase(3, 1.0, 500, 3, TestName = "BatchSizedToStock_OneSubscriberPerUnit")]
    [TestCase(3, 2.0, 500, 6, TestName = "BatchSizedToStock_TwoSubscribersPerUnit")]
    [TestCase(5, 0.5, 500, 3, TestName = "BatchSizedToStock_FractionRoundsUp")]
    [TestCase(10_000, 1.0, 500, 500, TestName = "BatchSizedToStock_CappedAtMaxBatchSize")]
    public async Task FullBatch_TellsAsManyAsTheStockServes_ThenWaitsAndContinuesAsNew(int available, double perUnit, int max, int expectedSize)
    {
        await RunAsync(Run(batch: 2, told: 7), InStock(available, pacing: Pacing with { SubscribersPerUnit = perUnit, MaxBatchSize = max }));

        Assert.That(_calls.Select(c => c.Activity), Is.EqualTo(new[] { nameof(CheckWaitlistStock), nameof(NotifyNextWaitlistBatch) }), "re-check, then tell");
        Assert.That(_batches.Single(), Is.EqualTo(new WaitlistBatch("s1", 11, 1, 2, expectedSize)));
        _context.Verify(c => c.CreateTimer(Now + Pacing.BatchInterval, CancellationToken.None), Times.Once);
        _context.Verify(c => c.ContinueAsNew(It.Is<WaitlistRun>(r => r.Batch == 3 && r.Told == 7 + expectedSize && r.Episode == 1 && r.StartedAt == Started && r.History.Count == 1), true), Times.Once);
        Assert.That(Last.State, Is.EqualTo(FlowState.Waiting));
        Assert.That(Last.Flow, Is.EqualTo("back-in-stock"));
        Assert.That(Last.NextDueAt, Is.EqualTo(new DateTimeOffset(Now + Pacing.BatchInterval, TimeSpan.Zero)));
    }

    [Test]
    public async Task FewerWaitingThanTheBatch_ListEmpties_CompletesWithoutWaiting()
    {
        await RunAsync(Run(batch: 3, told: 10), InStock(5), b => new WaitlistBatchResult(b.Size - 3));

        _context.Verify(c => c.CreateTimer(It.IsAny<DateTime>(), It.IsAny<CancellationToken>()), Times.Never);
        _context.Verify(c => c.ContinueAsNew(It.IsAny<object?>(), It.IsAny<bool>()), Times.Never);
        Assert.That(Last.State, Is.EqualTo(FlowState.Completed));
        Assert.That(Last.EndReason, Does.Contain("everyone waiting was told (12)"));
    }

    [Test]
    public async Task SoldOutBeforeTheNextBatch_StopsWithoutTellingAnyone()
    {
        await RunAsync(Run(batch: 2, told: 3), new WaitlistStock(true, SoldOut: true, Episode: 2, Available: 0, Pacing));

        Assert.That(_batches, Is.Empty);
        _context.Verify(c => c.ContinueAsNew(It.IsAny<object?>(), It.IsAny<bool>()), Times.Never);
        Assert.That(Last.State, Is.EqualTo(FlowState.Exited));
        Assert.That(Last.EndReason, Does.StartWith(WaitlistStopReasons.SoldOutAgain));
    }

    [Test]
    public async Task SoldOutBetweenTheCheckAndTheSend_TheBatchStopsTheRun()
    {
        await RunAsync(Run(), InStock(4), _ => new WaitlistBatchResult(0, WaitlistStopReasons.SoldOutAgain));

        _context.Verify(c => c.CreateTimer(It.IsAny<DateTime>(), It.IsAny<CancellationToken>()), Times.Never);
        Assert.That(Last.State, Is.EqualTo(FlowState.Exited));
        Assert.That(Last.EndReason, Does.StartWith(WaitlistStopReasons.SoldOutAgain));
    }

    [Test]
    public async Task NewerRestockEpisode_LeavesTheWaitlistToItsOwnRun()
    {
        await RunAsync(Run(episode: 1, batch: 4), InStock(8, episode: 2));

        Assert.That(_batches, Is.Empty);
        Assert.That(Last.State, Is.EqualTo(FlowState.Exited));
        Assert.That(Last.EndReason, Does.StartWith(WaitlistStopReasons.NewerRestock));
    }

    [Test]
    public async Task UnknownVariant_Stops()
    {
        await RunAsync(Run(), new WaitlistStock(false, false, 0, 0, Pacing));

        Assert.That(_batches, Is.Empty);
        Assert.That(Last.State, Is.EqualTo(FlowState.Exited));
    }

    [Test]
    public async Task EveryActivity_IsRetriedLongEnoughToRideOutMinutesOfOutage()
    {
        await RunAsync(Run(), InStock(2));

        Assert.That(_calls, Has.Count.EqualTo(2));
        foreach (var (activity, options) in _calls)
        {
            var policy = options?.Retry?.Policy;
            Assert.That(policy, Is.Not.Null, $"{activity} has a retry policy");
            var waits = TimeSpan.Zero;
            var interval = policy!.FirstRetryInterval;
            for (var retry = 1; retry < policy.MaxNumberOfAttempts; retry++)
            {
                waits += interval;
                interval = TimeSpan.FromTicks(Math.Min((long)(interval.Ticks * policy.BackoffCoefficient), policy.MaxRetryInterval.Ticks));
            }

            Assert.That(waits, Is.GreaterThan(TimeSpan.FromMinutes(15)), $"{activity}'s retries span minutes of outage");
            Assert.That(policy.FirstRetryInterval, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(10)), "a blip is retried quickly");
        }
    }

    [Test]
    public async Task ActivityStillFailingAfterItsRetries_TheFlowFailsAndSaysWhere()
    {
        _context.Setup(c => c.GetInput<WaitlistRun>()).Returns(Run(batch: 2));
        _context.Setup(c => c.CallActivityAsync<WaitlistStock>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>())).ReturnsAsync(InStock(3));
        var failure = new TaskFailedException(nameof(NotifyNextWaitlistBatch), 1,
            new TaskFailureDetails("MailKit.Net.Smtp.SmtpCommandException", "5.1.1 <ann@example.com>: rejected", null, null, null));
        _context.Setup(c => c.CallActivityAsync<WaitlistBatchResult>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>())).ThrowsAsync(failure);

        await Assert.ThrowsAsync<TaskFailedException>(() => NotifyWaitlist.NotifyWaitlistV1(_context.Object));

        Assert.That(Last.State, Is.EqualTo(FlowState.Failed));
        Assert.That(Last.EndReason, Does.Contain(nameof(NotifyNextWaitlistBatch)));
        Assert.That(string.Join(" ", Last.History.Select(h => h.Note)) + Last.EndReason, Does.Not.Contain("@"), "no personal data in the flow's status");
    }

    [Test]
    public async Task HistoryCarriesOverContinueAsNew()
    {
        var earlier = new FlowHistoryEntry(Started, "batch 1", "Done", "told 3 of a batch of 3 (3 in stock); 3 in all");

        await RunAsync(Run(batch: 2, told: 3) with { History = [earlier] }, InStock(3));

        Assert.That(Last.History, Has.Count.EqualTo(2));
        Assert.That(Last.History[0], Is.EqualTo(earlier));
        Assert.That(Last.StartedAt, Is.EqualTo(Started));
    }

    [Test]
    public void InstanceId_IsTheVariantsRestockEpisode()
    {
        Assert.That(WaitlistRun.InstanceIdFor("s1", 11, 3), Is.EqualTo("waitlist-s1-11-3"));
    }
}
