using System.Globalization;
using System.Text.Json;
using Automation.Tests.Infrastructure;

namespace Automation.Bench;

/// <summary>
/// Default answers of the demo platform stand-in, one per API call an automation makes, in the documented wire formats
/// (Shopify GraphQL Admin API 2025-10, WooCommerce REST v3). It keeps a little state (coupons, product tags, returns) so
/// repeated calls answer like the real thing ("already exists", the tags a product has). Every call is logged on one line.
/// The catalogue matches the fixtures: the ceramic mug (MUG-BLUE / MUG-GREEN), Shopify order #1042 (ann.buyer@example.com)
/// and WooCommerce order 727 (bo.shopper@example.com).
/// </summary>
public static class DemoPlatform
{
    private const string Woo = "/wp-json/wc/v3/";
    public const long MugProductId = 9120347160904;
    public const long MugBlueVariantId = 48201930047816;
    public const long MugGreenVariantId = 48201930080584;
    public const long OrderId = 6230184263752;
    public const long OrderLineId = 15012345678901;

    private static readonly Lock Gate = new();
    private static readonly HashSet<string> Coupons = new(StringComparer.OrdinalIgnoreCase);
    private static readonly Dictionary<long, SortedSet<string>> ShopifyTags = new() { [MugProductId] = new(StringComparer.Ordinal) { "kitchen", "stoneware" } };
    private static readonly Dictionary<string, string> ShopifyProductStatus = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, string> ShopifyReturns = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, Dictionary<string, object?>> WooProducts = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, int> WooTagIds = new(StringComparer.OrdinalIgnoreCase);
    private static int _nextId = 1000;

    private static readonly object[] Empty = [];
    private static readonly string[] CodeField = ["code"];

    public static void Configure(FakePlatform platform)
    {
        // Registered first = matched last: whatever nobody expected is logged (and answered 404 / a GraphQL error).
        foreach (var method in new[] { "GET", "POST", "PUT", "DELETE" })
            platform.On(method, "/*", r => Log(r, $"{r.Method} {r.Path}", "404 (no demo answer)", new FakeResponse(404, new { code = "rest_no_route", message = "No demo answer for this call." })));
        platform.OnGraphQL("", r => Log(r, "Shopify (unknown operation)", string.Join(' ', r.GraphQLQuery.Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries).Take(2)), FakeResponse.Json(new { errors = new[] { new { message = "No demo answer for this operation." } } })));
        platform.On("GET", "/", _ => FakeResponse.Json(new { ok = true }));

        ConfigureShopify(platform);
        ConfigureWooCommerce(platform);
    }

    // ---------------------------------------------------------------- Shopify (GraphQL Admin API)

    private static void ConfigureShopify(FakePlatform platform)
    {
        // Abandoned cart: the re-check before each message, then the coupon.
        Gql(platform, "query CheckoutStock", v => new
        {
            nodes = v.GetProperty("ids").EnumerateArray().Select(id => (object)new { id = id.GetString(), availableForSale = true }).ToArray(),
        }, v => $"{v.GetProperty("ids").GetArrayLength()} variant(s) → availableForSale: true");

        Gql(platform, "mutation discountCodeBasicCreate", v =>
        {
            var input = v.GetProperty("basicCodeDiscount");
            var code = input.GetProperty("code").GetString()!;
            lock (Gate)
            {
                if (!Coupons.Add(code))
                    return new { discountCodeBasicCreate = new { codeDiscountNode = (object?)null, userErrors = new[] { new { field = CodeField, code = "TAKEN", message = "Code must be unique. Please try a different code." } } } };
                return new { discountCodeBasicCreate = new { codeDiscountNode = (object?)new { id = $"gid://shopify/DiscountCodeNode/{++_nextId}" }, userErrors = Empty } };
            }
        }, v => $"code {v.GetProperty("basicCodeDiscount").GetProperty("code").GetString()}, {Percent(v)} off, usageLimit 1");

        // Low stock / sold out: product tags, status, inventory policy.
        Gql(platform, "mutation tagsAdd", v => TagChange(v, add: true), v => $"{v.GetProperty("id").GetString()} + [{Tags(v)}]");
        Gql(platform, "mutation tagsRemove", v => TagChange(v, add: false), v => $"{v.GetProperty("id").GetString()} − [{Tags(v)}]");
        Gql(platform, "query productStatus", v =>
        {
            var id = v.GetProperty("id").GetString()!;
            lock (Gate) return new { product = new { id, status = ShopifyProductStatus.GetValueOrDefault(id, "ACTIVE") } };
        }, v => v.GetProperty("id").GetString()!);
        Gql(platform, "mutation productUpdate", v =>
        {
            var product = v.GetProperty("product");
            var id = product.GetProperty("id").GetString()!;
            var status = product.GetProperty("status").GetString()!;
            lock (Gate) ShopifyProductStatus[id] = status;
            return new { productUpdate = new { product = new { id, status }, userErrors = Empty } };
        }, v => $"{v.GetProperty("product").GetProperty("id").GetString()} status {v.GetProperty("product").GetProperty("status").GetString()}");
        Gql(platform, "mutation productVariantsBulkUpdate", v => new
        {
            productVariantsBulkUpdate = new
            {
                productVariants = v.GetProperty("variants").EnumerateArray().Select(x => new { id = x.GetProperty("id").GetString(), inventoryPolicy = x.GetProperty("inventoryPolicy").GetString() }).ToArray(),
                userErrors = Empty,
            },
        }, v => string.Join(", ", v.GetProperty("variants").EnumerateArray().Select(x => $"{x.GetProperty("id").GetString()} {x.GetProperty("inventoryPolicy").GetString()}")));

        // Returns: the order lookup (by name, by id), then request → approve → label.
        Gql(platform, "query ReturnOrderByName", v => new
        {
            orders = new { nodes = v.GetProperty("query").GetString() == "name:\"#1042\"" ? [ShopifyOrder()] : Empty },
        }, v => $"orders({v.GetProperty("query").GetString()})");
        Gql(platform, "query ReturnOrderById", v => new
        {
            order = v.GetProperty("id").GetString() == $"gid://shopify/Order/{OrderId}" ? ShopifyOrder() : null,
        }, v => v.GetProperty("id").GetString()!);
        Gql(platform, "query ReturnsOfOrder", v =>
        {
            lock (Gate)
            {
                return new
                {
                    order = new
                    {
                        returns = new
                        {
                            nodes = ShopifyReturns.Select(r => new
                            {
                                id = r.Key,
                                status = r.Value,
                                returnLineItems = new { nodes = new[] { new { quantity = 1, fulfillmentLineItem = new { id = "gid://shopify/FulfillmentLineItem/11122233344" } } } },
                            }).ToArray(),
                        },
                    },
                };
            }
        }, v => v.GetProperty("id").GetString()!);
        Gql(platform, "mutation RequestReturn", v =>
        {
            var id = $"gid://shopify/Return/{Interlocked.Increment(ref _nextId)}";
            lock (Gate) ShopifyReturns[id] = "REQUESTED";
            return new { returnRequest = new { @return = new { id, status = "REQUESTED" }, userErrors = Empty } };
        }, v => $"order {v.GetProperty("input").GetProperty("orderId").GetString()}, {v.GetProperty("input").GetProperty("returnLineItems").GetArrayLength()} line(s)");
        Gql(platform, "query ReturnStatus", v =>
        {
            var id = v.GetProperty("id").GetString()!;
            lock (Gate) return new { @return = new { status = ShopifyReturns.GetValueOrDefault(id, "REQUESTED"), reverseFulfillmentOrders = new { nodes = new[] { new { id = ReverseOrderFor(id) } } } } };
        }, v => v.GetProperty("id").GetString()!);
        Gql(platform, "mutation ApproveReturn", v =>
        {
            var id = v.GetProperty("input").GetProperty("id").GetString()!;
            lock (Gate) ShopifyReturns[id] = "OPEN";
            return new { returnApproveRequest = new { @return = new { id, status = "OPEN", reverseFulfillmentOrders = new { nodes = new[] { new { id = ReverseOrderFor(id) } } } }, userErrors = Empty } };
        }, v => $"{v.GetProperty("input").GetProperty("id").GetString()} → OPEN");
        Gql(platform, "query ReverseDeliveries", _ => new { reverseFulfillmentOrder = new { reverseDeliveries = new { nodes = Empty } } }, v => v.GetProperty("id").GetString()!);
        Gql(platform, "mutation AttachReturnLabel", _ => new
        {
            reverseDeliveryCreateWithShipping = new { reverseDelivery = new { id = $"gid://shopify/ReverseDelivery/{Interlocked.Increment(ref _nextId)}" }, userErrors = Empty },
        }, v => $"{v.GetProperty("reverseFulfillmentOrderId").GetString()}, tracking {v.GetProperty("trackingInput").GetProperty("number").GetString()}, label link received");
        Gql(platform, "mutation CreateExchangeShippingCode", v =>
        {
            var code = v.GetProperty("freeShippingCodeDiscount").GetProperty("code").GetString()!;
            lock (Gate)
            {
                return Coupons.Add(code)
                    ? new { discountCodeFreeShippingCreate = new { codeDiscountNode = (object?)new { id = $"gid://shopify/DiscountCodeNode/{++_nextId}" }, userErrors = Empty } }
                    : new { discountCodeFreeShippingCreate = new { codeDiscountNode = (object?)null, userErrors = new object[] { new { field = CodeField, code = "TAKEN", message = "Code must be unique." } } } };
            }
        }, v => $"code {v.GetProperty("freeShippingCodeDiscount").GetProperty("code").GetString()}");
        Gql(platform, "mutation DeclineReturn", v =>
        {
            var id = v.GetProperty("input").GetProperty("id").GetString()!;
            lock (Gate) ShopifyReturns[id] = "DECLINED";
            return new { returnDeclineRequest = new { @return = new { id, status = "DECLINED" }, userErrors = Empty } };
        }, v => $"{v.GetProperty("input").GetProperty("id").GetString()} ({v.GetProperty("input").GetProperty("declineReason").GetString()})");
    }

    private static string ReverseOrderFor(string returnId) => "gid://shopify/ReverseFulfillmentOrder/" + returnId[(returnId.LastIndexOf('/') + 1)..];

    private static string Percent(JsonElement v) =>
        v.GetProperty("basicCodeDiscount").GetProperty("customerGets").GetProperty("value").GetProperty("percentage").GetDouble().ToString("P0", CultureInfo.InvariantCulture);

    private static string Tags(JsonElement v) => string.Join(", ", v.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

    private static object TagChange(JsonElement v, bool add)
    {
        var id = v.GetProperty("id").GetString()!;
        var productId = long.Parse(id[(id.LastIndexOf('/') + 1)..], CultureInfo.InvariantCulture);
        lock (Gate)
        {
            if (!ShopifyTags.TryGetValue(productId, out var tags)) ShopifyTags[productId] = tags = new(StringComparer.Ordinal);
            foreach (var tag in v.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!))
            {
                if (add) tags.Add(tag);
                else tags.Remove(tag);
            }
        }

        object payload = new { node = new { id }, userErrors = Empty };
        return add ? new { tagsAdd = payload } : new { tagsRemove = payload };
    }

    /// <summary>Order #1042 of the fixtures (ann.buyer@example.com, two blue mugs), fulfilled four days ago, delivered two days ago.</summary>
    private static object ShopifyOrder()
    {
        var now = DateTimeOffset.UtcNow;
        return new
        {
            id = $"gid://shopify/Order/{OrderId}",
            legacyResourceId = OrderId.ToString(CultureInfo.InvariantCulture),
            name = "#1042",
            email = "ann.buyer@example.com",
            createdAt = now.AddDays(-6).ToString("O", CultureInfo.InvariantCulture),
            currencyCode = "EUR",
            customer = new { tags = new[] { "newsletter" } },
            shippingAddress = new { name = "Ann Buyer", company = (string?)null, address1 = "Keizersgracht 1", address2 = (string?)null, city = "Amsterdam", provinceCode = (string?)null, zip = "1015 CJ", countryCodeV2 = "NL" },
            fulfillments = new[]
            {
                new
                {
                    createdAt = now.AddDays(-4).ToString("O", CultureInfo.InvariantCulture),
                    deliveredAt = now.AddDays(-2).ToString("O", CultureInfo.InvariantCulture),
                    fulfillmentLineItems = new { nodes = new[] { new { id = "gid://shopify/FulfillmentLineItem/11122233344", lineItem = new { id = $"gid://shopify/LineItem/{OrderLineId}" } } } },
                },
            },
            lineItems = new
            {
                nodes = new[]
                {
                    new
                    {
                        id = $"gid://shopify/LineItem/{OrderLineId}",
                        name = "Ceramic mug - Blue",
                        sku = "MUG-BLUE",
                        quantity = 2,
                        originalUnitPriceSet = new { shopMoney = new { amount = "29.95" } },
                        discountedUnitPriceSet = new { shopMoney = new { amount = "26.96" } },
                        product = new { productType = "Kitchen", tags = new[] { "kitchen", "stoneware" }, collections = new { nodes = new[] { new { handle = "mugs" } } } },
                    },
                },
            },
        };
    }

    // ---------------------------------------------------------------- WooCommerce (REST v3)

    private static void ConfigureWooCommerce(FakePlatform platform)
    {
        // Products and variations (stock re-check, stop selling / hide, tags): GET and PUT, remembered.
        Rest(platform, "GET", Woo + "products/*", r =>
        {
            var key = r.Path[(Woo.Length + "products/".Length)..];
            if (key.StartsWith("tags", StringComparison.Ordinal)) return WooTags(r);
            lock (Gate) return FakeResponse.Json(WooProduct(key));
        });
        Rest(platform, "PUT", Woo + "products/*", r =>
        {
            var key = r.Path[(Woo.Length + "products/".Length)..];
            lock (Gate)
            {
                var product = WooProduct(key);
                foreach (var property in r.Json.EnumerateObject())
                {
                    product[property.Name] = property.Name == "tags"
                        ? property.Value.EnumerateArray().Select(t => (object)new { id = t.GetProperty("id").GetInt32(), name = WooTagIds.FirstOrDefault(x => x.Value == t.GetProperty("id").GetInt32()).Key ?? "", slug = "" }).ToList()
                        : JsonSerializer.Deserialize<object>(property.Value.GetRawText());
                }

                return FakeResponse.Json(product);
            }
        }, r => string.Join(", ", r.Json.EnumerateObject().Select(p => p.Name)));
        Rest(platform, "POST", Woo + "products/tags", r =>
        {
            var name = r.Json.GetProperty("name").GetString()!;
            lock (Gate)
            {
                if (!WooTagIds.TryGetValue(name, out var id)) WooTagIds[name] = id = ++_nextId;
                return FakeResponse.Json(new { id, name, slug = name.Replace(' ', '-').ToLowerInvariant() }, 201);
            }
        }, r => r.Json.GetProperty("name").GetString()!);
        Rest(platform, "GET", Woo + "products", r => FakeResponse.Json(new object[]
        {
            new { id = 93, name = "Woo Single #1", on_sale = false, tags = Empty, categories = new[] { new { id = 5, name = "Singles", slug = "singles" } } },
            new { id = 22, name = "Ship Your Idea", on_sale = false, tags = Empty, categories = new[] { new { id = 6, name = "Clothing", slug = "clothing" } } },
        }));

        // Coupons (abandoned cart, exchange free shipping): unique codes.
        Rest(platform, "POST", Woo + "coupons", r =>
        {
            var code = r.Json.GetProperty("code").GetString()!;
            lock (Gate)
            {
                return Coupons.Add(code)
                    ? FakeResponse.Json(new { id = ++_nextId, code = code.ToLowerInvariant(), discount_type = r.Json.GetProperty("discount_type").GetString(), usage_limit = 1 }, 201)
                    : FakeResponse.Json(new { code = "woocommerce_rest_coupon_code_already_exists", message = "The coupon code already exists", data = new { status = 400 } }, 400);
            }
        }, r => $"code {r.Json.GetProperty("code").GetString()}, {r.Json.GetProperty("discount_type").GetString()} {r.Json.GetProperty("amount").GetString()}");

        // Orders (returns): order 727 of the fixtures, since paid and completed.
        Rest(platform, "GET", Woo + "orders/*", r => r.Path == Woo + "orders/727" ? FakeResponse.Json(WooOrder()) : new FakeResponse(404, new { code = "woocommerce_rest_shop_order_invalid_id", message = "Invalid ID.", data = new { status = 404 } }));
        Rest(platform, "GET", Woo + "orders", r => FakeResponse.Json(r.Query.Contains("727", StringComparison.Ordinal) ? new[] { WooOrder() } : Empty), r => r.Query);
        Rest(platform, "POST", Woo + "orders/*", r => r.Path.EndsWith("/notes", StringComparison.Ordinal)
            ? FakeResponse.Json(new { id = Interlocked.Increment(ref _nextId), note = r.Json.GetProperty("note").GetString(), customer_note = r.Json.TryGetProperty("customer_note", out var c) && c.GetBoolean() }, 201)
            : r.Path.EndsWith("/refunds", StringComparison.Ordinal)
                ? FakeResponse.Json(new { id = Interlocked.Increment(ref _nextId), amount = r.Json.TryGetProperty("amount", out var a) ? a.ToString() : "0.00" }, 201)
                : new FakeResponse(404, new { code = "rest_no_route", message = "No route." }));
    }

    private static FakeResponse WooTags(FakeRequest r)
    {
        var search = Uri.UnescapeDataString(System.Web.HttpUtility.ParseQueryString(r.Query).Get("search") ?? "");
        lock (Gate)
        {
            return FakeResponse.Json(WooTagIds.Where(t => t.Key.Contains(search, StringComparison.OrdinalIgnoreCase))
                .Select(t => new { id = t.Value, name = t.Key, slug = t.Key.Replace(' ', '-').ToLowerInvariant() }).ToArray());
        }
    }

    /// <summary>The products of order 727 (93, and variation 23 of 22), in stock; under <see cref="Gate"/>.</summary>
    private static Dictionary<string, object?> WooProduct(string key)
    {
        if (WooProducts.TryGetValue(key, out var product)) return product;
        var parts = key.Split('/');
        var id = int.TryParse(parts[^1], CultureInfo.InvariantCulture, out var n) ? n : 0;
        product = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["id"] = id,
            ["name"] = id switch { 93 => "Woo Single #1", 22 => "Ship Your Idea", 23 => "Ship Your Idea - Black, M", _ => $"Product {id}" },
            ["sku"] = id switch { 93 => "WOO-SINGLE-1", 23 => "SYI-BLACK-M", _ => "" },
            ["type"] = parts.Length > 1 ? "variation" : id == 22 ? "variable" : "simple",
            ["parent_id"] = parts.Length > 1 ? int.Parse(parts[0], CultureInfo.InvariantCulture) : 0,
            ["status"] = "publish",
            ["catalog_visibility"] = "visible",
            ["manage_stock"] = true,
            ["stock_quantity"] = 12,
            ["stock_status"] = "instock",
            ["backorders"] = "no",
            ["tags"] = new List<object>(),
        };
        WooProducts[key] = product;
        return product;
    }

    private static object WooOrder()
    {
        var now = DateTime.UtcNow;
        return new
        {
            id = 727,
            number = "727",
            status = "completed",
            currency = "USD",
            date_created_gmt = now.AddDays(-5).ToString("s", CultureInfo.InvariantCulture),
            date_paid_gmt = now.AddDays(-5).ToString("s", CultureInfo.InvariantCulture),
            date_completed_gmt = now.AddDays(-3).ToString("s", CultureInfo.InvariantCulture),
            customer_id = 0,
            billing = new { first_name = "Bo", last_name = "Shopper", email = "bo.shopper@example.com", address_1 = "969 Market", city = "San Francisco", state = "CA", postcode = "94103", country = "US" },
            shipping = new { first_name = "Bo", last_name = "Shopper", company = "", address_1 = "969 Market", address_2 = "", city = "San Francisco", state = "CA", postcode = "94103", country = "US" },
            line_items = new object[]
            {
                new { id = 315, name = "Woo Single #1", product_id = 93, variation_id = 0, sku = "WOO-SINGLE-1", quantity = 2, price = 3.0, subtotal = "6.00", total = "6.00" },
                new { id = 316, name = "Ship Your Idea - Black, M", product_id = 22, variation_id = 23, sku = "SYI-BLACK-M", quantity = 1, price = 12.0, subtotal = "12.00", total = "12.00" },
            },
        };
    }

    // ---------------------------------------------------------------- plumbing

    private static void Gql(FakePlatform platform, string operation, Func<JsonElement, object> data, Func<JsonElement, string>? describe = null)
    {
        var name = operation[(operation.IndexOf(' ', StringComparison.Ordinal) + 1)..];
        platform.OnGraphQL(operation, r =>
        {
            var variables = r.Variables;
            return Log(r, $"Shopify {name}", Describe(describe, variables), FakeResponse.Json(new { data = data(variables) }));
        });
    }

    private static void Rest(FakePlatform platform, string method, string path, Func<FakeRequest, FakeResponse> handler, Func<FakeRequest, string>? describe = null) =>
        platform.On(method, path, r =>
        {
            var response = handler(r);
            return Log(r, $"Woo {method} {r.Path[(r.Path.StartsWith(Woo, StringComparison.Ordinal) ? Woo.Length : 0)..]}", $"{response.Status} {Describe(describe, r)}".TrimEnd(), response);
        });

    private static string Describe<T>(Func<T, string>? describe, T value)
    {
        try
        {
            return describe?.Invoke(value) ?? "";
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException)
        {
            return "";
        }
    }

    private static FakeResponse Log(FakeRequest request, string call, string detail, FakeResponse response)
    {
        _ = request;
        Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {call,-40} {detail}");
        return response;
    }
}
