"""URL routes of the HTML pages."""
urlpatterns = []
