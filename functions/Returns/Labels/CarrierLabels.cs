namespace Automation.Returns.Labels;

/// <summary>A label as a carrier returns it: the tracking number to scan and the printable PDF.</summary>
public sealed record CarrierLabel(string Carrier, string TrackingNumber, byte[] Pdf, Uri? TrackingUrl = null);

/// <summary>
/// The carrier port. A real carrier API (EasyPost, Shippo: create a return shipment from the two addresses, buy the
/// rate, download the label PDF) plugs in here under its own name and is chosen per store with
/// <c>Stores:{id}:Returns:Carrier</c>; the built-in PDF label is the default.
/// </summary>
public interface ICarrierLabelProvider
{
    string Name { get; }

    Task<CarrierLabel> CreateLabelAsync(LabelRequest request, CancellationToken cancellationToken);
}

/// <summary>Our own label: the RMA is the tracking number, and the warehouse scans it on arrival.</summary>
public sealed class BuiltInLabelProvider : ICarrierLabelProvider
{
    public const string CarrierName = "BuiltIn";

    public string Name => CarrierName;

    public Task<CarrierLabel> CreateLabelAsync(LabelRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(new CarrierLabel(CarrierName, request.Rma, ReturnLabelPdf.Render(request, request.Rma, "Return label")));
}

/// <summary>Finds the store's carrier by name among the registered providers.</summary>
public sealed class CarrierLabels(IEnumerable<ICarrierLabelProvider> providers)
{
    private readonly Dictionary<string, ICarrierLabelProvider> _byName = providers.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    public ICarrierLabelProvider For(string name) =>
        _byName.TryGetValue(name, out var provider)
            ? provider
            : throw new InvalidOperationException($"No carrier '{name}' is registered; known: {string.Join(", ", _byName.Keys)}.");

    public bool Has(string name) => _byName.ContainsKey(name);
}
