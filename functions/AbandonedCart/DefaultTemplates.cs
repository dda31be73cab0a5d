namespace Automation.AbandonedCart;

/// <summary>The built-in recovery emails (Liquid; HTML output is escaped unless piped through <c>raw</c>).</summary>
public static class DefaultTemplates
{
    public const string ReminderSubject = "{% if first_name %}{{ first_name }}, you{% else %}You{% endif %} left something in your cart";

    public const string ReminderHtml = """
        <!doctype html>
        <html><body style="font-family: sans-serif; max-width: 560px; margin: auto;">
        <p>Hi{% if first_name %} {{ first_name }}{% endif %},</p>
        <p>You left these items in your cart at {{ store_name }}:</p>
        <table cellpadding="4">
        {% for item in items %}<tr><td>{{ item.title }}</td><td>× {{ item.quantity }}</td><td>{{ item.price | money: currency }}</td></tr>
        {% endfor %}</table>
        <p><strong>Total: {{ total | money: currency }}</strong></p>
        {% if recovery_url %}<p><a href="{{ recovery_url }}" style="background:#222;color:#fff;padding:10px 16px;text-decoration:none;">Complete your order</a></p>{% endif %}
        <p style="font-size: 12px; color: #777;">Don't want these reminders? <a href="{{ unsubscribe_url }}">Unsubscribe</a>.</p>
        </body></html>
        """;

    public const string ReminderText = """
        Hi{% if first_name %} {{ first_name }}{% endif %},

        You left these items in your cart at {{ store_name }}:
        {% for item in items %}- {{ item.title }} × {{ item.quantity }}: {{ item.price | money: currency }}
        {% endfor %}
        Total: {{ total | money: currency }}
        {% if recovery_url %}
        Complete your order: {{ recovery_url }}
        {% endif %}
        Unsubscribe: {{ unsubscribe_url }}
        """;

    public const string CouponSubject = "{{ coupon.percent }}% off your cart, just for you";

    public const string CouponHtml = """
        <!doctype html>
        <html><body style="font-family: sans-serif; max-width: 560px; margin: auto;">
        <p>Hi{% if first_name %} {{ first_name }}{% endif %},</p>
        <p>Your cart at {{ store_name }} is still waiting. Here is <strong>{{ coupon.percent }}% off</strong> to finish your order:</p>
        <p style="font-size: 22px; letter-spacing: 2px;"><strong>{{ coupon.code }}</strong></p>
        <p>It works once, for you, until {{ coupon.expires_at | date: "d MMMM yyyy" }}.</p>
        <table cellpadding="4">
        {% for item in items %}<tr><td>{{ item.title }}</td><td>× {{ item.quantity }}</td><td>{{ item.price | money: currency }}</td></tr>
        {% endfor %}</table>
        {% if recovery_url %}<p><a href="{{ recovery_url }}" style="background:#222;color:#fff;padding:10px 16px;text-decoration:none;">Use my discount</a></p>{% endif %}
        <p style="font-size: 12px; color: #777;">Don't want these emails? <a href="{{ unsubscribe_url }}">Unsubscribe</a>.</p>
        </body></html>
        """;

    public const string CouponText = """
        Hi{% if first_name %} {{ first_name }}{% endif %},

        Your cart at {{ store_name }} is still waiting. Here is {{ coupon.percent }}% off to finish your order:

            {{ coupon.code }}

        It works once, for you, until {{ coupon.expires_at | date: "d MMMM yyyy" }}.
        {% if recovery_url %}
        Use it here: {{ recovery_url }}
        {% endif %}
        Unsubscribe: {{ unsubscribe_url }}
        """;
}
