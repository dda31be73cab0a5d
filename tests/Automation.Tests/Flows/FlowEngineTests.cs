using Automation.Effects;
using Automation.Flows;
using Automation.Runtime;
using Automation.Storage;
using Automation.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Automation.Tests.Flows;

/// <summary>The engine's logic with a fake clock and recorded wake-ups, against real Table storage (Azurite).</summary>
public sealed class FlowEngineTests
{
    private const string Store = "s1";
    private FakeTimeProvider _time = null!;
    private RecordingTimers _timers = null!;
    private StorageClients _storage = null!;
    private EffectLedger _ledger = null!;
    private CrashingHooks _hooks = null!;
    private List<string> _effects = null!;

    public sealed record TestState(string Customer, int Sent = 0, bool Bought = false, DateTimeOffset? QuietUntil = null);

    [SetUp]
    public async Task SetUp()
    {
        await Azurite.ResetAsync();
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero));
        _timers = new RecordingTimers();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["AzureWebJobsStorage"] = Azurite.ConnectionString }).Build();
        _storage = new StorageClients(configuration, Options.Create(new StorageClientsOptions()), new StorageOperationCounter());
        _ledger = new EffectLedger(_storage, Options.Create(new EffectOptions()), _time);
        _hooks = new CrashingHooks();
        _effects = [];
    }

    private FlowDefinition<TestState> Definition(int version = 1, TimeSpan? firstWait = null) => FlowDefinition.Create<TestState>("test-flow", version)
        .Wait("wait-1h", _ => firstWait ?? TimeSpan.FromHours(1))
        .Act("remind", async (step, ct) =>
        {
            if (step.State.Bought) return StepResult.Exit("bought");
            if (step.State.QuietUntil is { } until && step.Context.Now < until) return StepResult.DelayUntil(until, "quiet hours");
            await _ledger.RunOnceAsync(step.Context.StoreId, step.Context.EffectKey(), (_, _) =>
            {
                _effects.Add($"v{version}:remind:{step.Context.FlowId}");
                return Task.FromResult<string?>("ok");
            }, ct);
            step.State = step.State with { Sent = step.State.Sent + 1 };
            return StepResult.Done("reminded");
        })
        .Wait("wait-24h", _ => TimeSpan.FromHours(24))
        .Act("coupon", async (step, ct) =>
        {
            await _ledger.RunOnceAsync(step.Context.StoreId, step.Context.EffectKey(), (_, _) =>
            {
                _effects.Add($"v{version}:coupon:{step.Context.FlowId}");
                return Task.FromResult<string?>("ok");
            }, ct);
            return StepResult.Done("coupon issued");
        })
        .ExitOn("order-placed");

    private FlowEngine Engine(params IFlowDefinition[] definitions) =>
        new(_storage, _timers, definitions.Length == 0 ? [Definition()] : definitions, _hooks, _time, NullLogger<FlowEngine>.Instance);

    private async Task DeliverDueAsync(FlowEngine engine)
    {
        foreach (var wake in _timers.TakeDue(_time.GetUtcNow())) await engine.WakeAsync(wake, CancellationToken.None);
    }

    [Test]
    public async Task Start_StoresWaitingRowAndArmsFirstWait()
    {
        var engine = Engine();

        var outcome = await engine.StartAsync(Definition(), Store, "f1", new TestState("c1"), "c1", "checkout", null, CancellationToken.None);

        var row = await engine.GetAsync(Store, "f1", CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(outcome, Is.EqualTo(FlowStartOutcome.Started));
            Assert.That(row!.Status, Is.EqualTo("Waiting"));
            Assert.That(row.StepName, Is.EqualTo("wait-1h"));
            Assert.That(row.NextDueAt, Is.EqualTo(_time.GetUtcNow().AddHours(1)));
            Assert.That(row.DefinitionVersion, Is.EqualTo(1));
            Assert.That(_timers.Armed.Single(), Is.EqualTo(new FlowWakeUp(Store, "f1", 1, _time.GetUtcNow().AddHours(1))));
        });
    }

    [Test]
    public async Task DuplicateStart_KeepsOneFlow()
    {
        var engine = Engine();
        await engine.StartAsync(Definition(), Store, "f1", new TestState("c1"), null, "checkout", null, CancellationToken.None);

        var second = await engine.StartAsync(Definition(), Store, "f1", new TestState("c1"), null, "checkout", null, CancellationToken.None);

        Assert.That(second, Is.EqualTo(FlowStartOutcome.AlreadyExists));
        Assert.That(_timers.Armed, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task WaitsElapse_RunsStepsInOrderAndCompletesWithHistory()
    {
        var engine = Engine();
        await engine.StartAsync(Definition(), Store, "f1", new TestState("c1"), null, "checkout", null, CancellationToken.None);

        _time.Advance(TimeSpan.FromMinutes(59));
        await DeliverDueAsync(engine);
        Assert.That(_effects, Is.Empty, "nothing runs before the wait is over");

        _time.Advance(TimeSpan.FromMinutes(1));
        await DeliverDueAsync(engine);
        var afterReminder = await engine.GetAsync(Store, "f1", CancellationToken.None);
        Assert.That(afterReminder!.StepName, Is.EqualTo("wait-24h"));
        Assert.That(FlowStateJson.Deserialize<TestState>(afterReminder.State).Sent, Is.EqualTo(1));

        _time.Advance(TimeSpan.FromHours(24));
        await DeliverDueAsync(engine);

        var row = await engine.GetAsync(Store, "f1", CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(_effects, Is.EqualTo(new[] { "v1:remind:f1", "v1:coupon:f1" }));
            Assert.That(row!.Status, Is.EqualTo("Completed"));
            Assert.That(row.ReadHistory().Select(h => $"{h.Step}:{h.Outcome}"),
                Is.EqualTo(new[] { "start:Started", "wait-1h:Waited", "remind:Done", "wait-24h:Waited", "coupon:Done" }));
        });
    }

    [Test]
    public async Task ExitWhileWaiting_EndsAtOnceAndLateWakeUpIsNoOp()
    {
        var engine = Engine();
        await engine.StartAsync(Definition(), Store, "f1", new TestState("c1"), null, "checkout", null, CancellationToken.None);

        var exited = await engine.ExitAsync(Store, "f1", "order-placed", "order 1001", CancellationToken.None);
        var afterExit = await engine.GetAsync(Store, "f1", CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(2));
        await DeliverDueAsync(engine);

        var row = await engine.GetAsync(Store, "f1", CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(exited, Is.True);
            Assert.That(afterExit!.Status, Is.EqualTo("Exited"));
            Assert.That(row!.EndReason, Is.EqualTo("order-placed"));
            Assert.That(_effects, Is.Empty);
            Assert.That(row.ETag, Is.EqualTo(afterExit.ETag), "the late wake-up wrote nothing");
        });
    }

    [Test]
    public async Task UndeclaredExit_IsRefused()
    {
        var engine = Engine();
        await engine.StartAsync(Definition(), Store, "f1", new TestState("c1"), null, "checkout", null, CancellationToken.None);

        Assert.That(() => engine.ExitAsync(Store, "f1", "made-up", "", CancellationToken.None), Throws.InvalidOperationException);
    }

    [Test]
    public async Task DuplicateWakeUp_RunsStepOnce()
    {
        var engine = Engine();
        await engine.StartAsync(Definition(), Store, "f1", new TestState("c1"), null, "checkout", null, CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(1));
        var wake = _timers.Armed.Single();

        await engine.WakeAsync(wake, CancellationToken.None);
        await engine.WakeAsync(wake, CancellationToken.None);

        var row = await engine.GetAsync(Store, "f1", CancellationToken.None);
        Assert.That(_effects, Is.EqualTo(new[] { "v1:remind:f1" }));
        Assert.That(row!.ReadHistory().Count(h => h.Step == "remind"), Is.EqualTo(1));
        Assert.That(_timers.Armed, Has.Count.EqualTo(2), "a plain duplicate does not arm another wake-up");
    }

    [Test]
    public async Task WaitLongerThanSevenDays_ArrivesInPiecesAndRunsOnlyWhenDue()
    {
        var engine = Engine(Definition(firstWait: TimeSpan.FromDays(10)));
        await engine.StartAsync(Definition(firstWait: TimeSpan.FromDays(10)), Store, "f1", new TestState("c1"), null, "checkout", null, CancellationToken.None);
        var due = _time.GetUtcNow().AddDays(10);
        var first = _timers.Armed.Single();

        // The queue can only hide it for up to 7 days, so the wake-up comes early.
        _time.Advance(QueueFlowTimers.MaxDelay);
        await engine.WakeAsync(first, CancellationToken.None);

        Assert.That(_effects, Is.Empty);
        Assert.That(_timers.Armed.Last(), Is.EqualTo(new FlowWakeUp(Store, "f1", 1, due)), "re-armed for the rest");

        _time.Advance(TimeSpan.FromDays(4));
        await engine.WakeAsync(_timers.Armed.Last(), CancellationToken.None);
        Assert.That(_effects, Is.EqualTo(new[] { "v1:remind:f1" }));
    }

    [Test]
    public async Task QueueTimers_WaitLongerThanSevenDays_IsAcceptedByTheQueue()
    {
        var timers = new QueueFlowTimers(new Automation.Events.EventPublisher(_storage), _time);

        await timers.ArmAsync(new FlowWakeUp(Store, "f1", 1, _time.GetUtcNow().AddDays(30)), CancellationToken.None);

        var queue = await _storage.QueueAsync(QueueFlowTimers.QueueName);
        Assert.That((await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount, Is.EqualTo(1));
        Assert.That((await queue.PeekMessagesAsync()).Value, Is.Empty, "still invisible");
    }

    [Test]
    public async Task CrashAfterEffectBeforeRowWrite_RetryResumesWithoutRepeatingTheEffect()
    {
        var engine = Engine();
        await engine.StartAsync(Definition(), Store, "f1", new TestState("c1"), null, "checkout", null, CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(1));
        var wake = _timers.Armed.Single();
        _hooks.CrashAfter = "remind";

        Assert.That(() => engine.WakeAsync(wake, CancellationToken.None), Throws.TypeOf<SimulatedCrash>());
        var afterCrash = await engine.GetAsync(Store, "f1", CancellationToken.None);
        Assert.That(afterCrash!.StepName, Is.EqualTo("wait-1h"), "the row was not written");

        _hooks.CrashAfter = null;
        await engine.WakeAsync(wake, CancellationToken.None);

        var row = await engine.GetAsync(Store, "f1", CancellationToken.None);
        Assert.That(_effects, Is.EqualTo(new[] { "v1:remind:f1" }));
        Assert.That(row!.StepName, Is.EqualTo("wait-24h"));
    }

    [Test]
    public async Task CrashAfterRowWriteBeforeArming_RetryArmsTheNextWakeUp()
    {
        var engine = Engine();
        await engine.StartAsync(Definition(), Store, "f1", new TestState("c1"), null, "checkout", null, CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(1));
        var wake = _timers.Armed.Single();
        _timers.FailNext = true;

        Assert.That(() => engine.WakeAsync(wake, CancellationToken.None), Throws.TypeOf<SimulatedCrash>());
        await engine.WakeAsync(wake, CancellationToken.None, isRetry: true);

        Assert.That(_timers.Armed.Last(), Is.EqualTo(new FlowWakeUp(Store, "f1", 2, _time.GetUtcNow().AddHours(24))));
        Assert.That(_effects, Is.EqualTo(new[] { "v1:remind:f1" }));
    }

    [Test]
    public async Task StepDelayed_RunsAgainAtTheGivenTime()
    {
        var engine = Engine();
        var quietUntil = _time.GetUtcNow().AddHours(5);
        await engine.StartAsync(Definition(), Store, "f1", new TestState("c1", QuietUntil: quietUntil), null, "checkout", null, CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(1));
        await DeliverDueAsync(engine);

        var delayed = await engine.GetAsync(Store, "f1", CancellationToken.None);
        Assert.That(delayed!.StepName, Is.EqualTo("remind"));
        Assert.That(delayed.NextDueAt, Is.EqualTo(quietUntil));
        Assert.That(_effects, Is.Empty);

        _time.Advance(TimeSpan.FromHours(4));
        await DeliverDueAsync(engine);
        Assert.That(_effects, Is.EqualTo(new[] { "v1:remind:f1" }), "delayed, never dropped");
    }

    [Test]
    public async Task StepExits_FlowEndsWithTheReason()
    {
        var engine = Engine();
        await engine.StartAsync(Definition(), Store, "f1", new TestState("c1", Bought: true), null, "checkout", null, CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(1));
        await DeliverDueAsync(engine);

        var row = await engine.GetAsync(Store, "f1", CancellationToken.None);
        Assert.That(row!.Status, Is.EqualTo("Exited"));
        Assert.That(row.EndReason, Is.EqualTo("bought"));
        Assert.That(_timers.Armed, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task NewDefinitionVersion_RunningFlowKeepsTheVersionItStartedWith()
    {
        var v1 = Definition(version: 1);
        var v2 = Definition(version: 2);
        await Engine(v1).StartAsync(v1, Store, "f1", new TestState("c1"), null, "checkout", null, CancellationToken.None);

        var upgraded = Engine(v1, v2);
        _time.Advance(TimeSpan.FromHours(1));
        await DeliverDueAsync(upgraded);

        Assert.That(_effects, Is.EqualTo(new[] { "v1:remind:f1" }));
    }

    [Test]
    public async Task StateUpdatedWhileWaiting_StepSeesTheNewState()
    {
        var engine = Engine();
        await engine.StartAsync(Definition(), Store, "f1", new TestState("c1"), null, "checkout", null, CancellationToken.None);

        await engine.UpdateStateAsync<TestState>(Store, "f1", s => s with { Bought = true }, "checkout updated", CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(1));
        await DeliverDueAsync(engine);

        var row = await engine.GetAsync(Store, "f1", CancellationToken.None);
        Assert.That(row!.EndReason, Is.EqualTo("bought"));
    }

    private sealed class SimulatedCrash : Exception;

    private sealed class CrashingHooks : FlowHooks
    {
        public string? CrashAfter { get; set; }

        public override Task AfterStepAsync(FlowContext context, StepResult result, CancellationToken cancellationToken) =>
            context.StepName == CrashAfter ? throw new SimulatedCrash() : Task.CompletedTask;
    }

    private sealed class RecordingTimers : IFlowTimers
    {
        private readonly List<FlowWakeUp> _pending = [];

        public List<FlowWakeUp> Armed { get; } = [];
        public bool FailNext { get; set; }

        public Task ArmAsync(FlowWakeUp wakeUp, CancellationToken cancellationToken)
        {
            if (FailNext)
            {
                FailNext = false;
                throw new SimulatedCrash();
            }

            Armed.Add(wakeUp);
            _pending.Add(wakeUp);
            return Task.CompletedTask;
        }

        public List<FlowWakeUp> TakeDue(DateTimeOffset now)
        {
            var due = _pending.Where(w => w.DueAt <= now).ToList();
            _pending.RemoveAll(due.Contains);
            return due;
        }
    }
}
