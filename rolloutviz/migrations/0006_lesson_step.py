from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('rolloutviz', '0005_compare_comparisons'),
    ]

    operations = [
        migrations.AddField(
            model_name='simulation',
            name='lesson_step',
            field=models.PositiveIntegerField(default=0, help_text='The tutorial step the presenter shows (0-based), the same for every viewer.'),
        ),
    ]
