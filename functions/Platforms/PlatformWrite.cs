using Automation.Effects;

namespace Automation.Platforms;

/// <summary>What a look at the platform found: whether a write happened, and what it made (its id, its status).</summary>
public readonly record struct Lookup<T>(bool Happened, T? Made);

public static class Lookup
{
    public static Lookup<T> NotFound<T>() => default;

    public static Lookup<T> Found<T>(T? made) => new(true, made);

    /// <summary>Found when <paramref name="made"/> is not null.</summary>
    public static Lookup<T> Of<T>(T? made) where T : class => made is null ? NotFound<T>() : Found(made);

    public static Lookup<bool> Of(bool happened) => happened ? Found(true) : NotFound<bool>();
}

/// <summary>
/// The rule for every platform write: it is never sent again blindly. When its outcome is unknown — an earlier attempt
/// died mid-call (<see cref="PriorAttempt.Unfinished"/>), or this attempt's answer was lost
/// (<see cref="PlatformException.OutcomeUnknown"/>: a timeout, a broken connection, a 5xx) — the platform is asked
/// first whether it happened, and the write is made again only if it did not. A second unknown outcome goes to the
/// caller as a transient failure; its retry (through the <see cref="EffectLedger"/>) looks first again.
/// </summary>
public static class PlatformWrite
{
    public static async Task<T?> RunAsync<T>(PriorAttempt prior, Func<CancellationToken, Task<Lookup<T>>> look, Func<CancellationToken, Task<T?>> write, CancellationToken cancellationToken)
    {
        if (prior == PriorAttempt.Unfinished && await look(cancellationToken) is { Happened: true } before) return before.Made;
        try
        {
            return await write(cancellationToken);
        }
        catch (PlatformException ex) when (ex.OutcomeUnknown)
        {
            if (await look(cancellationToken) is { Happened: true } made) return made.Made;
            return await write(cancellationToken);
        }
    }

    public static Task<T?> RunAsync<T>(Func<CancellationToken, Task<Lookup<T>>> look, Func<CancellationToken, Task<T?>> write, CancellationToken cancellationToken) =>
        RunAsync(PriorAttempt.None, look, write, cancellationToken);

    /// <summary>For writes that return nothing: <paramref name="happened"/> tells whether the platform already shows it.</summary>
    public static Task RunAsync(Func<CancellationToken, Task<bool>> happened, Func<CancellationToken, Task> write, CancellationToken cancellationToken) =>
        RunAsync(
            PriorAttempt.None,
            async ct => Lookup.Of(await happened(ct)),
            async ct =>
            {
                await write(ct);
                return true;
            },
            cancellationToken);
}
