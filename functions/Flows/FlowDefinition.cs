using System.Text.Json;
using Automation.Runtime;

namespace Automation.Flows;

/// <summary>
/// A multi-step flow, readable top to bottom: its steps (waits and actions) and the exits that end it early.
/// A running flow keeps the <see cref="Version"/> it started with: when the steps change, register the new
/// definition under a new version and keep the old one until its flows have ended.
/// </summary>
public interface IFlowDefinition
{
    string Name { get; }
    int Version { get; }
    IReadOnlyList<FlowStepInfo> Steps { get; }

    /// <summary>Names of the events or decisions that end a waiting flow at once (e.g. "order-placed").</summary>
    IReadOnlyList<string> ExitsOn { get; }

    TimeSpan WaitFor(int step, string state);

    Task<StepRun> RunAsync(int step, FlowContext context, string state, CancellationToken cancellationToken);
}

public enum FlowStepKind { Wait, Act }

public sealed record FlowStepInfo(string Name, FlowStepKind Kind);

/// <summary>What an action step decided; recorded in the flow's history with its note, so nothing is skipped silently.</summary>
public sealed record StepResult(StepResultKind Kind, string Note, DateTimeOffset? At = null)
{
    /// <summary>The step did its work; go on.</summary>
    public static StepResult Done(string note) => new(StepResultKind.Done, note);

    /// <summary>The step chose not to act (e.g. the platform refused a coupon); go on without it.</summary>
    public static StepResult Skipped(string reason) => new(StepResultKind.Skipped, reason);

    /// <summary>The flow has nothing left to do (e.g. the customer bought): end it.</summary>
    public static StepResult Exit(string reason) => new(StepResultKind.Exit, reason);

    /// <summary>Not now (e.g. quiet hours): run this same step again at <paramref name="at"/>.</summary>
    public static StepResult DelayUntil(DateTimeOffset at, string reason) => new(StepResultKind.Delayed, reason, at);
}

public enum StepResultKind { Done, Skipped, Exit, Delayed }

public sealed record StepRun(StepResult Result, string State);

/// <summary>Where a step runs: the flow, the step, the time, and the idempotency key its effects must carry.</summary>
public sealed record FlowContext(string StoreId, string FlowId, int Step, string StepName, DateTimeOffset Now, DateTimeOffset StartedAt)
{
    /// <summary>
    /// The idempotency key of an effect of this step: flow id + step (+ the effect's name when a step has several).
    /// Stable across retries, so the effect ledger and the platforms can recognise a repeat.
    /// </summary>
    public string EffectKey(string? effect = null) => effect is null ? $"{FlowId}:{Step}:{StepName}" : $"{FlowId}:{Step}:{StepName}:{effect}";
}

/// <summary>An action step's view of the flow: the context and the state, which the step may replace.</summary>
public sealed class FlowStep<TState>(FlowContext context, TState state)
{
    public FlowContext Context { get; } = context;
    public TState State { get; set; } = state;
}

/// <summary>A flow whose state is a <typeparamref name="TState"/> record, stored as JSON in the flow's row.</summary>
public sealed class FlowDefinition<TState> : IFlowDefinition where TState : class
{
    private readonly List<FlowStepInfo> _steps = [];
    private readonly List<Delegate> _bodies = [];
    private readonly List<string> _exits = [];

    private FlowDefinition(string name, int version)
    {
        Name = name;
        Version = version;
    }

    public string Name { get; }
    public int Version { get; }
    public IReadOnlyList<FlowStepInfo> Steps => _steps;
    public IReadOnlyList<string> ExitsOn => _exits;

    internal static FlowDefinition<TState> New(string name, int version) => new(name, version);

    /// <summary>Waits, durably: a delayed queue message wakes the flow (waits over 7 days re-arm).</summary>
    public FlowDefinition<TState> Wait(string name, Func<TState, TimeSpan> duration) => Add(name, FlowStepKind.Wait, duration);

    /// <summary>An action: runs at least once, so every effect must carry <see cref="FlowContext.EffectKey"/>.</summary>
    public FlowDefinition<TState> Act(string name, Func<FlowStep<TState>, CancellationToken, Task<StepResult>> action) => Add(name, FlowStepKind.Act, action);

    public FlowDefinition<TState> ExitOn(params string[] exits)
    {
        _exits.AddRange(exits);
        return this;
    }

    public TimeSpan WaitFor(int step, string state) => ((Func<TState, TimeSpan>)_bodies[step])(FlowStateJson.Deserialize<TState>(state));

    public async Task<StepRun> RunAsync(int step, FlowContext context, string state, CancellationToken cancellationToken)
    {
        var run = new FlowStep<TState>(context, FlowStateJson.Deserialize<TState>(state));
        var result = await ((Func<FlowStep<TState>, CancellationToken, Task<StepResult>>)_bodies[step])(run, cancellationToken);
        return new StepRun(result, FlowStateJson.Serialize(run.State));
    }

    private FlowDefinition<TState> Add(string name, FlowStepKind kind, Delegate body)
    {
        if (_steps.Any(s => s.Name == name)) throw new ArgumentException($"Flow {Name} already has a step named '{name}'.", nameof(name));
        _steps.Add(new FlowStepInfo(name, kind));
        _bodies.Add(body);
        return this;
    }
}

public static class FlowDefinition
{
    public static FlowDefinition<TState> Create<TState>(string name, int version) where TState : class => FlowDefinition<TState>.New(name, version);
}

public static class FlowStateJson
{
    // WARNING: flow state is stored as JSON in the Flows table with Json.Options; change a state type additively only.
    public static string Serialize<TState>(TState state) => JsonSerializer.Serialize(state, Json.Options);

    public static TState Deserialize<TState>(string state) =>
        JsonSerializer.Deserialize<TState>(state, Json.Options) ?? throw new InvalidOperationException($"Flow state is not a {typeof(TState).Name}.");
}
