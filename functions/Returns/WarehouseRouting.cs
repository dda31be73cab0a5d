namespace Automation.Returns;

/// <summary>
/// Chooses where returned items go: the first routing rule that matches (product type, country, province), else a
/// warehouse in the customer's country, else the nearest by distance between country centres, else the first one.
/// </summary>
public static class WarehouseRouting
{
    public static (Warehouse Warehouse, string Why) Choose(ReturnPolicy policy, ReturnOrder order, IReadOnlyList<ReturnItem> items)
    {
        if (policy.Warehouses.Count == 0) throw new InvalidOperationException("No warehouses are configured for returns.");
        var country = order.ShippingAddress?.CountryCode.ToUpperInvariant();
        var province = order.ShippingAddress?.Province;
        var types = items.Select(i => order.Line(i.LineItemId)?.ProductType).OfType<string>().ToList();

        foreach (var rule in policy.Routing)
        {
            var matches = (rule.ProductTypes.Count == 0 || types.Any(t => rule.ProductTypes.Contains(t, StringComparer.OrdinalIgnoreCase)))
                && (rule.Countries.Count == 0 || (country is not null && rule.Countries.Contains(country, StringComparer.OrdinalIgnoreCase)))
                && (rule.Provinces.Count == 0 || (province is not null && rule.Provinces.Contains(province, StringComparer.OrdinalIgnoreCase)));
            if (matches)
            {
                var chosen = policy.Warehouses.First(w => string.Equals(w.Id, rule.Warehouse, StringComparison.OrdinalIgnoreCase));
                return (chosen, $"routing rule #{policy.Routing.IndexOf(rule) + 1}");
            }
        }

        if (country is not null)
        {
            var local = policy.Warehouses.FirstOrDefault(w => string.Equals(w.CountryCode, country, StringComparison.OrdinalIgnoreCase));
            if (local is not null) return (local, "same country");

            if (CountryCentres.TryGetValue(country, out var from))
            {
                var nearest = policy.Warehouses
                    .Select(w => (Warehouse: w, Km: CountryCentres.TryGetValue(w.CountryCode.ToUpperInvariant(), out var to) ? Distance(from, to) : double.MaxValue))
                    .MinBy(x => x.Km);
                if (nearest.Km < double.MaxValue) return (nearest.Warehouse, "nearest country");
            }
        }

        return (policy.Warehouses[0], "default warehouse");
    }

    /// <summary>Great-circle distance in km.</summary>
    internal static double Distance((double Lat, double Lon) a, (double Lat, double Lon) b)
    {
        static double Rad(double d) => d * Math.PI / 180;
        var dLat = Rad(b.Lat - a.Lat);
        var dLon = Rad(b.Lon - a.Lon);
        var h = Math.Pow(Math.Sin(dLat / 2), 2) + (Math.Cos(Rad(a.Lat)) * Math.Cos(Rad(b.Lat)) * Math.Pow(Math.Sin(dLon / 2), 2));
        return 2 * 6371 * Math.Asin(Math.Sqrt(h));
    }

    /// <summary>Approximate centres of the countries most stores ship to; enough to pick the nearer of two warehouses.</summary>
    internal static readonly Dictionary<string, (double Lat, double Lon)> CountryCentres = new(StringComparer.OrdinalIgnoreCase)
    {
        ["US"] = (39.8, -98.6), ["CA"] = (56.1, -106.3), ["MX"] = (23.6, -102.6), ["BR"] = (-14.2, -51.9), ["AR"] = (-38.4, -63.6),
        ["CL"] = (-35.7, -71.5), ["CO"] = (4.6, -74.3), ["GB"] = (54.0, -2.0), ["IE"] = (53.4, -8.2), ["FR"] = (46.2, 2.2),
        ["DE"] = (51.2, 10.4), ["NL"] = (52.1, 5.3), ["BE"] = (50.5, 4.5), ["LU"] = (49.8, 6.1), ["ES"] = (40.5, -3.7),
        ["PT"] = (39.4, -8.2), ["IT"] = (41.9, 12.6), ["CH"] = (46.8, 8.2), ["AT"] = (47.5, 14.6), ["DK"] = (56.3, 9.5),
        ["SE"] = (60.1, 18.6), ["NO"] = (60.5, 8.5), ["FI"] = (61.9, 25.7), ["PL"] = (51.9, 19.1), ["CZ"] = (49.8, 15.5),
        ["HU"] = (47.2, 19.5), ["RO"] = (45.9, 25.0), ["GR"] = (39.1, 21.8), ["TR"] = (39.0, 35.2), ["AU"] = (-25.3, 133.8),
        ["NZ"] = (-40.9, 174.9), ["JP"] = (36.2, 138.3), ["CN"] = (35.9, 104.2), ["KR"] = (35.9, 127.8), ["IN"] = (20.6, 79.0),
        ["SG"] = (1.35, 103.8), ["ZA"] = (-30.6, 22.9), ["AE"] = (23.4, 53.8), ["IL"] = (31.0, 34.9), ["HK"] = (22.3, 114.2),
    };
}
