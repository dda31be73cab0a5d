using System.Text.Json;
using Azure.Storage.Queues.Models;

namespace Automation.Runtime;

public static class QueueMessages
{
    /// <summary>The message's JSON as <typeparamref name="T"/>; a body that does not parse is a permanent failure (straight to poison).</summary>
    public static T Read<T>(this QueueMessage message) where T : class
    {
        T? parsed;
        try
        {
            parsed = message.Body.ToObjectFromJson<T>(Json.Options);
        }
        catch (JsonException ex)
        {
            throw new PermanentFailureException($"Message is not a valid {typeof(T).Name}: {ex.Message}", ex);
        }
        catch (NotSupportedException ex)
        {
            throw new PermanentFailureException($"Message is not a valid {typeof(T).Name}: {ex.Message}", ex);
        }

        return parsed ?? throw new PermanentFailureException($"Message is an empty {typeof(T).Name}.");
    }

    /// <summary>Whether this delivery of the message is a retry (an earlier attempt failed or its process died).</summary>
    public static bool IsRetry(this QueueMessage message) => message.DequeueCount > 1;
}
