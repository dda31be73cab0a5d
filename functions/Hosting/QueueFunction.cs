using System.Text.Json;

namespace Automation.Hosting;

/// <summary>A queue-triggered function: one message in, one job.</summary>
public interface IQueueFunction
{
    Task RunAsync(QueueMessageContext message, CancellationToken cancellationToken);
}

/// <summary>The trigger metadata Functions passes with a queue message.</summary>
public sealed record QueueMessageContext(string QueueName, string Id, BinaryData Body, long DequeueCount, DateTimeOffset? InsertionTime);

/// <summary>A queue function whose message is JSON of <typeparamref name="TMessage"/>; a body that does not parse goes straight to poison.</summary>
public abstract class QueueFunction<TMessage> : IQueueFunction
{
    public Task RunAsync(QueueMessageContext message, CancellationToken cancellationToken)
    {
        TMessage? parsed;
        try
        {
            parsed = message.Body.ToObjectFromJson<TMessage>(Json.Options);
        }
        catch (JsonException ex)
        {
            throw new PermanentFailureException($"Message is not a valid {typeof(TMessage).Name}: {ex.Message}", ex);
        }

        return parsed is null
            ? throw new PermanentFailureException($"Message is an empty {typeof(TMessage).Name}.")
            : RunAsync(parsed, message, cancellationToken);
    }

    protected abstract Task RunAsync(TMessage message, QueueMessageContext context, CancellationToken cancellationToken);
}

/// <summary>A failure that no retry can fix (e.g. an unparseable message): the host moves the message to poison at once.</summary>
public sealed class PermanentFailureException : Exception
{
    public PermanentFailureException(string message) : base(message) { }
    public PermanentFailureException(string message, Exception inner) : base(message, inner) { }
}
