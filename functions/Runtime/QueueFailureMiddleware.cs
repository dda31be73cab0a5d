using System.Reflection;
using Automation.Effects;
using Automation.Retention;
using Automation.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Options;

namespace Automation.Runtime;

/// <summary>host.json <c>extensions.queues.maxDequeueCount</c>, which the app reads too (see <see cref="QueueFailureMiddleware"/>).</summary>
public sealed class HostQueuesOptions
{
    public const string Section = "AzureFunctionsJobHost:extensions:queues";

    public int MaxDequeueCount { get; set; } = 5;
}

/// <summary>
/// Around every queue-triggered function: a failure that no retry can fix (<see cref="PermanentFailureException"/>,
/// or a body the worker could not bind), and the last allowed attempt of any other failure, are moved to
/// <c>&lt;queue&gt;-poison</c> here, as a <see cref="PoisonMessage"/> that carries the error. The Functions host would
/// move the bare body there and lose the reason. Earlier failures are rethrown so the host retries them.
/// </summary>
internal sealed class QueueFailureMiddleware(StorageClients storage, IOptions<HostQueuesOptions> options, IOptions<RetentionOptions> retention, TimeProvider time, ILogger<QueueFailureMiddleware> logger)
    : IFunctionsWorkerMiddleware
{
    // Not async for other triggers: orchestrator functions pass through here too and must not await anything.
    public Task Invoke(FunctionContext context, FunctionExecutionDelegate next) =>
        FunctionTriggers.QueueName(context) is { } queue ? InvokeQueueFunctionAsync(context, queue, next) : next(context);

    private async Task InvokeQueueFunctionAsync(FunctionContext context, string queue, FunctionExecutionDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception thrown) when (Unwrap(thrown) is EffectInProgressException busy)
        {
            // Another attempt holds one of this message's effects (this copy is a duplicate delivery, or the holder died
            // and its lease has not run out). Come back when the lease ends, without spending a dequeue: a copy of the
            // message becomes visible then, and this one is done.
            var delay = busy.LeaseUntil - time.GetUtcNow() + TimeSpan.FromSeconds(1);
            var copy = await storage.QueueAsync(queue);
            await copy.SendMessageAsync(FunctionTriggers.QueueMessageBody(context), visibilityTimeout: delay > TimeSpan.Zero ? delay : TimeSpan.FromSeconds(1),
                timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: CancellationToken.None);
            logger.LogInformation("{Function} found an effect in progress on {Queue}; retrying the message in {Delay}", context.FunctionDefinition.Name, queue, delay);
        }
        catch (Exception thrown)
        {
            var failure = Unwrap(thrown);
            var permanent = failure is PermanentFailureException or FunctionInputConverterException;
            var attempt = long.TryParse(FunctionTriggers.BindingValue(context, "DequeueCount"), out var count) ? count : 1;
            if (!permanent && attempt < options.Value.MaxDequeueCount)
            {
                logger.LogWarning("{Function} failed on {Queue} (attempt {Attempt} of {Max}): {Error}", context.FunctionDefinition.Name, queue, attempt, options.Value.MaxDequeueCount, Describe(failure));
                throw;
            }

            var envelope = new PoisonMessage(queue, context.FunctionDefinition.Name, FunctionTriggers.BindingValue(context, "Id") ?? "", attempt,
                Describe(failure), time.GetUtcNow(), FunctionTriggers.QueueMessageBody(context));
            var poison = await storage.QueueAsync(QueueNames.Poison(queue));
            // Poison messages carry what their message carried (a webhook's body, a customer's email): they expire after
            // Retention:PoisonDays (the queue service deletes them), time enough to look and replay.
            await poison.SendMessageAsync(BinaryData.FromObjectAsJson(envelope, Json.Options), timeToLive: TimeSpan.FromDays(retention.Value.PoisonDays), cancellationToken: CancellationToken.None);
            logger.LogError("{Function} moved message {MessageId} to {Poison} after attempt {Attempt}: {Error}", context.FunctionDefinition.Name, envelope.MessageId, QueueNames.Poison(queue), attempt, envelope.Error);
            // Returning normally lets the host delete the original: the poison copy is the one that counts now.
        }
    }

    private static Exception Unwrap(Exception ex)
    {
        while (true)
        {
            switch (ex)
            {
                case TargetInvocationException { InnerException: { } inner }: ex = inner; continue;
                case AggregateException { InnerExceptions.Count: 1 } aggregate: ex = aggregate.InnerExceptions[0]; continue;
                default: return ex;
            }
        }
    }

    private static string Describe(Exception ex) =>
        ex is PermanentFailureException ? LogText.Redact(ex.Message) : LogText.Describe(ex);
}
