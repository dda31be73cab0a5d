using Automation.Stores;

namespace Automation.Inventory;

/// <summary>
/// An automation that acts on stock transitions (low stock, out of stock, back in stock). Called at least once per
/// transition, in order, until every handler has succeeded: handlers key their effects on
/// <see cref="StockTransition.Key"/> so a repeat does nothing twice.
/// </summary>
public interface IStockTransitionHandler
{
    Task HandleAsync(Store store, VariantStock variant, StockTransition transition, CancellationToken cancellationToken);
}

/// <summary>An automation that keeps personal data about customers, and erases it on a redact request.</summary>
public interface ICustomerDataEraser
{
    Task<int> EraseAsync(string storeId, string? email, long? customerId, CancellationToken cancellationToken);
}
