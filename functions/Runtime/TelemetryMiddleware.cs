using System.Diagnostics;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace Automation.Runtime;

/// <summary>
/// Outermost: one span per invocation, so everything a function does (storage, platform calls, emails) sits under it.
/// A queue-triggered function continues the trace of whoever put the message (its <c>traceParent</c>): a webhook, the
/// flow that queued work, the delivery that produced an event — so intake → queue → flow → activities → emails and
/// platform calls read as one trace with one id. The invocation's own context (the host's) is kept as a link.
/// Orchestrator invocations get no span of their own: they replay, and Durable traces the orchestration itself.
/// </summary>
internal sealed class TelemetryMiddleware : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (FunctionTriggers.Has(context, "orchestrationTrigger") || !AutomationTelemetry.Source.HasListeners())
        {
            await next(context);
            return;
        }

        using var activity = Start(context);
        try
        {
            // (An HTTP function's status code is the host's request telemetry: the result is written after this returns.)
            await next(context);
        }
        catch (Exception ex)
        {
            // The type only: an exception's message can quote data (an address a server refused, a payload).
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            activity?.SetTag("error.type", ex.GetType().FullName);
            throw;
        }
    }

    private static Activity? Start(FunctionContext context)
    {
        var function = context.FunctionDefinition.Name;
        var host = ActivityContext.TryParse(context.TraceContext?.TraceParent, context.TraceContext?.TraceState, isRemote: true, out var parsed) ? parsed : default;
        var current = Activity.Current?.Context ?? host;

        var queue = FunctionTriggers.QueueName(context);
        if (queue is not null)
        {
            var producer = AutomationTelemetry.TraceParentOf(System.Text.Encoding.UTF8.GetBytes(FunctionTriggers.QueueMessageBody(context)));
            var links = current != default && producer is not null ? new[] { new ActivityLink(current) } : null;
            var activity = AutomationTelemetry.Source.StartActivity(ActivityKind.Consumer, producer ?? current, links: links, name: function);
            activity?.SetTag("faas.trigger", "pubsub");
            activity?.SetTag("messaging.system", "azure_queue_storage");
            activity?.SetTag("messaging.destination.name", queue);
            activity?.SetTag("messaging.message.delivery_count", FunctionTriggers.BindingValue(context, "DequeueCount"));
            return Tag(activity, context);
        }

        var (kind, trigger) = FunctionTriggers.Has(context, "httpTrigger") ? (ActivityKind.Server, "http")
            : FunctionTriggers.Has(context, "timerTrigger") ? (ActivityKind.Internal, "timer")
            : (ActivityKind.Internal, "other");
        var started = AutomationTelemetry.Source.StartActivity(kind, current, name: function);
        started?.SetTag("faas.trigger", trigger);
        return Tag(started, context);
    }

    private static Activity? Tag(Activity? activity, FunctionContext context)
    {
        activity?.SetTag("faas.name", context.FunctionDefinition.Name);
        activity?.SetTag("faas.invocation_id", context.InvocationId);
        return activity;
    }
}
