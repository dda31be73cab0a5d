using System.Text.Json;

namespace Automation.Runtime;

/// <summary>
/// What <see cref="QueueFailureMiddleware"/> puts in <c>&lt;queue&gt;-poison</c>: the original body with the error, so
/// nothing vanishes and the reason is visible. A message the Functions host itself moves there (one that crashed the
/// process maxDequeueCount times) is the bare body, as Azure writes it. <c>POST /api/admin/poison/{queue}/replay</c>
/// puts either kind back on its queue.
/// </summary>
// WARNING: operators and the replay endpoint read poison messages in this shape.
public sealed record PoisonMessage(string Queue, string Function, string MessageId, long DequeueCount, string Error, DateTimeOffset FailedAt, string Body)
{
    public static PoisonMessage? TryParse(BinaryData data)
    {
        try
        {
            var parsed = data.ToObjectFromJson<PoisonMessage>(Json.Options);
            return parsed is { Queue: not null, Error: not null, Body: not null } ? parsed : null;
        }
        catch (JsonException) { return null; }
        catch (NotSupportedException) { return null; }
    }
}
