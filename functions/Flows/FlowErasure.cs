using Microsoft.DurableTask.Client;

namespace Automation.Flows;

/// <summary>Erasing an orchestration on a customer's request: its history, input and output can hold their email and name.</summary>
public static class FlowErasure
{
    /// <summary>How long a redaction waits for a terminated instance to stop before its message is retried.</summary>
    private static readonly TimeSpan TerminationWait = TimeSpan.FromSeconds(30);

    /// <summary>Terminates the instance if it still runs, then purges its history, input and output; nothing if there is no such instance.</summary>
    public static async Task EraseInstanceAsync(this DurableTaskClient client, string instanceId, string reason, CancellationToken cancellationToken)
    {
        var instance = await client.GetInstanceAsync(instanceId, cancellationToken);
        if (instance is null) return;
        if (!instance.IsCompleted)
        {
            await client.TerminateInstanceAsync(instanceId, reason, cancellationToken);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TerminationWait);
            // Termination is asynchronous; if it has not happened within the wait, the message is retried.
            await client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: false, wait.Token);
        }

        await client.PurgeInstanceAsync(instanceId, cancellation: cancellationToken);
    }
}
