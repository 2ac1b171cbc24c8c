"""Bodies become the editor's HTML (existing Markdown converted), pictures, topics,
drafts of changes, and pages the therapist adds."""

import blog.models
import django.core.validators
from django.db import migrations, models

from blog.markup import html_to_text, render_markdown


def markdown_bodies_to_html(apps, schema_editor):
    """Every existing body becomes the HTML it already rendered to, for the editor."""
    for name in ("Article", "Page"):
        model = apps.get_model("blog", name)
        for row in model.objects.all():
            html = render_markdown(row.body_markdown)
            model.objects.filter(pk=row.pk).update(
                body=html, body_html=html, body_text=html_to_text(html)
            )


class Migration(migrations.Migration):

    dependencies = [
        ('blog', '0003_seed_article'),
    ]

    operations = [
        migrations.CreateModel(
            name='ArticleImage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file', models.ImageField(help_text='A JPEG, PNG or WebP photo, up to 15 MB. Where and when it was taken (its hidden details) is removed on upload.', upload_to='articles/images/', validators=[django.core.validators.FileExtensionValidator(['jpg', 'jpeg', 'png', 'webp']), blog.models.validate_upload_size], verbose_name='picture')),
                ('alt_text', models.CharField(blank=True, help_text='What the picture shows, in a sentence, for people who cannot see it (screen readers read it aloud).', max_length=250, verbose_name='description')),
                ('decorative', models.BooleanField(default=False, help_text='Tick this instead of a description when the picture adds nothing to the text.', verbose_name='only decorative')),
                ('caption', models.CharField(blank=True, help_text='Optional. Shown under the picture, for example who took it.', max_length=300)),
                ('width', models.PositiveIntegerField(default=0, editable=False)),
                ('height', models.PositiveIntegerField(default=0, editable=False)),
                ('sizes', models.JSONField(default=list, editable=False)),
                ('uploaded_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name': 'picture',
                'ordering': ['-uploaded_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='Topic',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=80, unique=True)),
                ('slug', models.SlugField(help_text="The end of the topic's address: /blog/topics/<this>/. Filled in from the name.", max_length=80, unique=True, verbose_name='web address')),
                ('description', models.TextField(blank=True, help_text="Optional. A sentence or two shown at the top of the topic's page.")),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.AddField(
            model_name='article',
            name='body',
            field=models.TextField(blank=True, help_text='Use the toolbar for section titles, lists, quotes and links, and the picture button for images. Pasting from Word or Google Docs keeps headings, lists and links.', verbose_name='text'),
        ),
        migrations.AddField(
            model_name='article',
            name='body_text',
            field=models.TextField(default='', editable=False),
        ),
        migrations.AddField(
            model_name='article',
            name='pending_changes',
            field=models.JSONField(blank=True, default=dict, editable=False, help_text='Changes to a live article saved as a draft: readers do not see them yet.', verbose_name='changes not yet published'),
        ),
        migrations.AddField(
            model_name='page',
            name='body',
            field=models.TextField(blank=True, help_text='Use the toolbar for section titles, lists, quotes and links, and the picture button for images. Pasting from Word or Google Docs keeps headings, lists and links.', verbose_name='text'),
        ),
        migrations.AddField(
            model_name='page',
            name='body_text',
            field=models.TextField(default='', editable=False),
        ),
        migrations.AlterField(
            model_name='article',
            name='body_html',
            field=models.TextField(default='', editable=False),
        ),
        migrations.AlterField(
            model_name='page',
            name='body_html',
            field=models.TextField(default='', editable=False),
        ),
        migrations.AlterField(
            model_name='page',
            name='slug',
            field=models.SlugField(help_text="The end of the page's address: /<this>/. Filled in from the title.", max_length=80, unique=True, verbose_name='web address'),
        ),
        migrations.AddField(
            model_name='article',
            name='topics',
            field=models.ManyToManyField(blank=True, help_text='Optional. Readers can browse articles by topic; related articles share one.', related_name='articles', to='blog.topic'),
        ),
        migrations.RunPython(markdown_bodies_to_html, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='article',
            name='body_markdown',
        ),
        migrations.RemoveField(
            model_name='page',
            name='body_markdown',
        ),
    ]
