from django.http import HttpResponse


def home(request):
    return HttpResponse("home")


def login_page(request):
    return HttpResponse("login")
