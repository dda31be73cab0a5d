namespace Automation.LocalHost;

/// <summary>What the local host does that the Functions host hard-codes, and its shutdown budget.</summary>
public sealed class LocalHostOptions
{
    public const string Section = "LocalHost";

    /// <summary>Invisibility taken on a received message, renewed at half-time while the function runs (Functions: 10 minutes).</summary>
    public TimeSpan MessageLease { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>On shutdown, how long in-flight invocations may finish before they are cancelled and their messages released.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest any single storage call may take while stopping (storage may already be gone).</summary>
    public TimeSpan StopStorageTimeout { get; set; } = TimeSpan.FromSeconds(1);
}
