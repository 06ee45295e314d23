# a file
