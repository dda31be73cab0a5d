namespace Automation.Runtime;

/// <summary>
/// A failure that no retry can fix (e.g. an unparseable message). <see cref="QueueFailureMiddleware"/> moves the message
/// to <c>&lt;queue&gt;-poison</c> at once, with this message as its error, instead of retrying it maxDequeueCount times.
/// </summary>
public sealed class PermanentFailureException : Exception
{
    public PermanentFailureException(string message) : base(message) { }
    public PermanentFailureException(string message, Exception inner) : base(message, inner) { }
}
