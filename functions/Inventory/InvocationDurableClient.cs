using Microsoft.DurableTask.Client;

namespace Automation.Inventory;

/// <summary>
/// The <c>[DurableClient]</c> of the function invocation in progress (scoped). Durable Functions hands a client only to
/// a function parameter, never through dependency injection, so the function that has one sets it here and the
/// services it calls in the same invocation (the stock transition handlers) start their orchestrations with it.
/// </summary>
public sealed class InvocationDurableClient
{
    private DurableTaskClient? _client;

    public DurableTaskClient Client
    {
        get => _client ?? throw new InvalidOperationException("This invocation has no [DurableClient]: only a function with a [DurableClient] parameter can start an orchestration.");
        set => _client = value;
    }
}
