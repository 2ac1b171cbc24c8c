"""Create the four editable pages with placeholder text that asks to be edited.

The placeholders invent no person and no credentials. The privacy and accessibility
placeholders describe what this site actually does, so they are true from day one.
"""

from django.db import migrations

from blog.markup import body_fields

EDIT_NOTE = (
    "*This is placeholder text. Please replace it in the admin: Articles and pages → "
    "Pages → {name}.*"
)

PAGES = [
    {
        "slug": "home",
        "title": "Welcome",
        "seo_description": "Psychotherapy and a free, no-pressure consult call to see if we are a good fit.",
        "body_markdown": EDIT_NOTE.format(name="Home page introduction")
        + "\n\n"
        + "Use these two or three short paragraphs to say who you work with, what people "
        "often come to therapy with, and how you work. Keep it warm and plain: a reader "
        "may be arriving here on a hard day.",
    },
    {
        "slug": "about",
        "title": "About and how I work",
        "seo_description": "About the therapist: approach, training, location or telehealth, and fees.",
        "body_markdown": EDIT_NOTE.format(name="About")
        + "\n\n"
        + "## About me\n\n"
        "Please write a short introduction here: who you are and why you do this work.\n\n"
        "## How I work\n\n"
        "Please describe your approach in plain words, and what a first session is like.\n\n"
        "## Training and credentials\n\n"
        "Please list your license, training and memberships.\n\n"
        "## Where I see clients\n\n"
        "Please say whether you meet in person, by telehealth, or both, and in which "
        "states or regions you can see clients.\n\n"
        "## Fees\n\n"
        "Please give your fees, whether you offer a sliding scale, and how insurance works.",
    },
    {
        "slug": "privacy",
        "title": "Privacy",
        "seo_description": "What this website stores about you, for how long, and what it never does.",
        "body_markdown": EDIT_NOTE.format(name="Privacy")
        + " The text below describes what this website does today; please check it, add "
        "your contact details and retention period, and have it reviewed for the rules "
        "that apply to your practice.\n\n"
        "## In short\n\n"
        "- This website does not track you. It uses no analytics, no advertising and no "
        "social media buttons.\n"
        "- Pages load nothing from other websites: no web fonts, videos or maps from "
        "other companies.\n"
        "- Reading the articles sets no cookies.\n\n"
        "## Cookies\n\n"
        "The only cookies are the ones the site needs to work:\n\n"
        "- a security cookie that protects the consult request form from forgery, set "
        "when you open the form;\n"
        "- a login cookie for the therapist when they sign in to manage the site.\n\n"
        "## If you request a free consult\n\n"
        "What you type in the consult form is stored in this website's own database "
        "(PostgreSQL) so the therapist can reply. The therapist is told that a new "
        "request has arrived; the details you typed stay on the website and are not "
        "sent in that email. You receive an email confirming your request.\n\n"
        "Requests that are closed (completed, cancelled or declined) are deleted "
        "automatically after a retention period. (Please state the period you set in "
        "the admin here, for example: \"after 90 days\".)\n\n"
        "## Your choices\n\n"
        "You can cancel a request at any time with the link in your confirmation email, "
        "or ask for your information to be deleted sooner. (Please add how to reach you "
        "here.)",
    },
    {
        "slug": "accessibility",
        "title": "Accessibility",
        "seo_description": "How this website aims to work for everyone, and how to report a problem.",
        "body_markdown": EDIT_NOTE.format(name="Accessibility")
        + "\n\n"
        "This website aims to meet the Web Content Accessibility Guidelines (WCAG) 2.2 at "
        "level AA.\n\n"
        "## What that means here\n\n"
        "- Every page, including booking a free consult, works with a keyboard alone and "
        "with a screen reader.\n"
        "- Booking works without JavaScript.\n"
        "- Text can be enlarged, and pages respect your device's reduced-motion setting.\n"
        "- There are no pop-ups, timers or autoplaying media.\n\n"
        "## Reporting a problem\n\n"
        "If something on this site is hard to use or does not work with the tools you "
        "use, please say so: it will be fixed. Tell us which page, what you were trying "
        "to do, and, if you like, the browser or assistive technology you use. (Please "
        "add the email address or phone number people should use here.)",
    },
]


def create_pages(apps, schema_editor):
    Page = apps.get_model("blog", "Page")
    for page in PAGES:
        # get_or_create: never overwrite text the therapist has already edited.
        text = page["body_markdown"]
        fields = {k: v for k, v in page.items() if k != "body_markdown"}
        Page.objects.get_or_create(
            slug=page["slug"], defaults={**fields, **body_fields(Page, text)}
        )


def delete_pages(apps, schema_editor):
    apps.get_model("blog", "Page").objects.filter(slug__in=[p["slug"] for p in PAGES]).delete()


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]

    operations = [migrations.RunPython(create_pages, delete_pages)]
