namespace Automation.Storage;

/// <summary>Queue names: lowercase-kebab. One queue per consuming automation (queues are competing consumers).</summary>
public static class QueueNames
{
    public const string WebhookDeliveries = "webhook-deliveries";
    public const string AbandonedCartEvents = "abandoned-cart-events";
    public const string InventoryEvents = "inventory-events";
    public const string ReturnEvents = "return-events";
    public const string ComplianceEvents = "compliance-events";

    public static string Poison(string queue) => queue + "-poison";
}

/// <summary>Table names: PascalCase.</summary>
public static class TableNames
{
    public const string WebhookDeliveries = "WebhookDeliveries";
    public const string ResourceVersions = "ResourceVersions";
    public const string InventoryItems = "InventoryItems";
    public const string Effects = "Effects";
    public const string ComplianceRequests = "ComplianceRequests";
}

public static class BlobContainers
{
    /// <summary>Functions' own container for listener locks and timer schedule status.</summary>
    public const string WebJobsHosts = "azure-webjobs-hosts";
    public const string WebhookBodies = "webhook-bodies";
}
